"""Query cost in Shopify's terms: what a document may cost before it runs, and what it did cost.

Requested cost (static): scalars and enums 0, objects 1, connections 2 plus ``first``/``last`` times the
cost of one node, mutations 10 plus their selection. Actual cost: 1 per object in the answer, plus 10 for
a mutation -- smaller than the requested cost whenever a page comes back short, as on Shopify.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

MUTATION_COST = 10
MAX_SINGLE_QUERY_COST = 1000


def _argument_int(field: FieldNode, name: str, variables: dict[str, Any]) -> int | None:
    for argument in field.arguments or ():
        if argument.name.value != name:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            found = variables.get(value.name.value)
            return int(found) if found is not None else None
    return None


class _Coster:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any]) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }

    def selection(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        if selection_set is None:
            return 0
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field(node, parent)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection(node.selection_set, target)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
                total += self.selection(fragment.selection_set,
                                        self.schema.get_type(fragment.type_condition.name.value))
        return total

    def field(self, node: FieldNode, parent: Any) -> int:
        if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 0
        definition = parent.fields.get(node.name.value)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType):
            return 0
        if named.name.endswith("Connection"):
            count = (_argument_int(node, "first", self.variables)
                     or _argument_int(node, "last", self.variables) or 0)
            per_node = 0
            for child in node.selection_set.selections if node.selection_set else ():
                if not isinstance(child, FieldNode) or child.name.value not in ("nodes", "edges"):
                    continue
                item_type = get_named_type(named.fields[child.name.value].type)
                # An edge's "node" field is an object itself, so both shapes cost the same per item.
                own = 1 if child.name.value == "nodes" else 0
                per_node = max(per_node, own + self.selection(child.selection_set, item_type))
            return 2 + count * per_node
        return 1 + self.selection(node.selection_set, named)


def requested_cost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
                   variables: dict[str, Any]) -> int:
    coster = _Coster(schema, document, variables)
    root = schema.mutation_type if operation.operation.value == "mutation" else schema.query_type
    if operation.operation.value != "mutation":
        return coster.selection(operation.selection_set, root)
    total = 0
    for field in operation.selection_set.selections:
        if isinstance(field, FieldNode):
            payload_type = get_named_type(root.fields[field.name.value].type)
            total += MUTATION_COST + coster.selection(field.selection_set, payload_type)
    return total


def actual_cost(data: Any, *, mutation: bool) -> int:
    def objects(value: Any) -> int:
        if isinstance(value, dict):
            return 1 + sum(objects(v) for v in value.values())
        if isinstance(value, list):
            return sum(objects(v) for v in value)
        return 0

    return max(objects(data) - 1, 0) + (MUTATION_COST if mutation else 0)
