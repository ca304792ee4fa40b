"""AI disclosure on published files: IPTC digital source type in XMP (PNG iTXt, JPEG APP1), C2PA when
signing is configured."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from tests.factories import png_bytes
from vitrine.connectors import disclosure

SOURCE_TYPE = disclosure.COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.open(io.BytesIO(png_bytes(64, 48, seed=4))).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def test_png_carries_the_digital_source_type_and_keeps_its_pixels():
    original = png_bytes(64, 48, seed=3)
    marked = disclosure.xmp_embed(original, content_type="image/png")
    with Image.open(io.BytesIO(marked)) as image, Image.open(io.BytesIO(original)) as before:
        assert f'DigitalSourceType="{SOURCE_TYPE}"' in image.info["XML:com.adobe.xmp"]
        assert image.tobytes() == before.tobytes()


def test_jpeg_carries_the_digital_source_type_and_keeps_its_pixels():
    original = jpeg_bytes()
    marked = disclosure.xmp_embed(original, content_type="image/jpeg")
    with Image.open(io.BytesIO(marked)) as image, Image.open(io.BytesIO(original)) as before:
        assert SOURCE_TYPE in image.info["xmp"].decode()
        assert image.tobytes() == before.tobytes()
    assert marked.index(b"JFIF") < marked.index(b"http://ns.adobe.com/xap/1.0/")  # APP0 stays first


@pytest.mark.parametrize("content_type, data", [("image/png", png_bytes(32, 32)), ("image/jpeg", jpeg_bytes())])
def test_marking_twice_replaces_the_packet(content_type, data):
    once = disclosure.xmp_embed(data, content_type=content_type)
    assert disclosure.xmp_embed(once, content_type=content_type) == once
    assert once.count(SOURCE_TYPE.encode()) == 1


def test_other_formats_are_refused_with_a_reason():
    with pytest.raises(disclosure.UnsupportedImage, match="publish PNG or JPEG"):
        disclosure.xmp_embed(b"RIFF....WEBP", content_type="image/webp")
    with pytest.raises(disclosure.UnsupportedImage, match="not a PNG file"):
        disclosure.xmp_embed(b"GIF89a", content_type="image/png")


def test_without_a_signing_certificate_no_manifest_is_written(settings):
    settings.C2PA_SIGN_CERT_FILE = settings.C2PA_SIGN_KEY_FILE = ""
    marked = disclosure.disclose(png_bytes(32, 32), content_type="image/png", title="t",
                                 parent=png_bytes(32, 32, seed=9), parent_content_type="image/png")
    assert b"caBX" not in marked  # the PNG chunk that holds a C2PA manifest
    with pytest.raises(c2pa.C2paError):
        c2pa.Reader("image/png", io.BytesIO(marked))


def signing_material(directory: Path) -> tuple[Path, Path]:
    """A throwaway CA and an ES256 signing certificate with the extensions C2PA asks for."""
    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vitrine tests")])
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Vitrine test signer"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vitrine tests")])

    def usage(*, sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(digital_signature=not sign, content_commitment=False, key_encipherment=False,
                             data_encipherment=False, key_agreement=False, key_cert_sign=sign, crl_sign=sign,
                             encipher_only=False, decipher_only=False)

    def builder(subject: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(public_key)
                .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                .not_valid_after(now + timedelta(days=7)))

    ca = (builder(ca_name, ca_key.public_key())
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(usage(sign=True), critical=True).sign(ca_key, hashes.SHA256()))
    leaf = (builder(name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage(sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_file, key_file = directory / "chain.pem", directory / "signer.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.mark.slow
def test_with_a_signing_certificate_a_valid_manifest_names_the_edit_and_the_parent(settings, tmp_path):
    cert_file, key_file = signing_material(tmp_path)
    settings.C2PA_SIGN_CERT_FILE, settings.C2PA_SIGN_KEY_FILE = str(cert_file), str(key_file)
    signed = disclosure.disclose(png_bytes(64, 64), content_type="image/png", title="Linen shirt",
                                 parent=png_bytes(64, 64, seed=9), parent_content_type="image/png")
    report = json.loads(c2pa.Reader("image/png", io.BytesIO(signed)).json())
    assert report["validation_state"] in ("Valid", "Trusted")
    manifest = report["manifests"][report["active_manifest"]]
    actions = next(a for a in manifest["assertions"] if a["label"].startswith("c2pa.actions"))["data"]["actions"]
    assert [action["action"] for action in actions][:2] == ["c2pa.opened", "c2pa.edited"]
    assert actions[1]["digitalSourceType"] == SOURCE_TYPE
    assert manifest["ingredients"][0]["relationship"] == "parentOf"
    with Image.open(io.BytesIO(signed)) as image:  # the XMP written before signing survives
        assert SOURCE_TYPE in image.info["XML:com.adobe.xmp"]
