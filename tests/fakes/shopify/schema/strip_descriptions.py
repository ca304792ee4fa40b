"""Re-print a GraphQL SDL file without description strings (types, fields, arguments, deprecations kept).

Usage: python strip_descriptions.py <full schema.graphql> <stripped output.graphql>
"""

from __future__ import annotations

import sys
from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_schema,
    print_schema,
)


def strip(sdl: str) -> str:
    schema = build_schema(sdl, assume_valid=True)
    schema.description = None
    for directive in schema.directives:
        directive.description = None
        for argument in directive.args.values():
            argument.description = None
    for named in schema.type_map.values():
        named.description = None
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field in named.fields.values():
                field.description = None
                for argument in field.args.values():
                    argument.description = None
        elif isinstance(named, GraphQLInputObjectType):
            for field in named.fields.values():
                field.description = None
        elif isinstance(named, GraphQLEnumType):
            for value in named.values.values():
                value.description = None
    return print_schema(schema) + "\n"


if __name__ == "__main__":
    source, target = (Path(arg) for arg in sys.argv[1:3])
    target.write_text(strip(source.read_text()))
