"""Column mapping: headers in the product's languages map to contact fields; anything else to
a custom attribute; a mapping a person edited is checked and its problem named."""

from __future__ import annotations

import pytest

from mailwright.imports.mapping import MappingError, auto_map, validate_mapping
from mailwright.imports.reading import sniff

EXPECTED = {
    "email": [
        "Email", "E-mail", "E-Mail-Adresse", "adres e-mail", "e-posta", "correo electrónico",
        "địa chỉ email", "имейл", "EMAIL ADDRESS", " e_mail ", "Courriel",
    ],
    "first_name": ["First name", "imię", "ad", "nombre", "tên", "име", "first-name", "Prénom"],
    "last_name": ["Last name", "nazwisko", "soyad", "apellido(s)", "Apellidos", "họ", "фамилия"],
    "name": ["Name", "Full Name", "imię i nazwisko", "ad soyad", "họ và tên"],
    "language": ["Language", "język", "dil", "idioma", "ngôn ngữ", "език", "Sprache"],
    "time_zone": ["Time zone", "timezone", "strefa czasowa", "saat dilimi", "zona horaria"],
    "tags": ["Tags", "labels", "tagi", "etiketler", "etiquetas", "етикети"],
    "birthday": [
        "Birthday", "date of birth", "data urodzenia", "doğum tarihi", "fecha de nacimiento",
        "ngày sinh", "рождена дата", "Geburtsdatum", "date de naissance",
    ],
    "anniversary": ["Anniversary", "rocznica", "aniversario"],
    "consent": [
        "consent", "Opt-in", "opted in", "zgoda", "izin", "consentimiento", "đồng ý",
        "съгласие", "Einwilligung",
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("header", "target"),
    [(header, target) for target, headers in EXPECTED.items() for header in headers],
)
def test_known_headers_map_to_their_field(header, target):
    assert auto_map([header]) == {header: target}


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Ulubiony kolor", "ulubiony_kolor"),
        ("Miejscowość / Łódź", "miejscowosc_lodz"),
        ("Град", "grad"),
        ("Şehir", "sehir"),
        ("Số điện thoại", "so_dien_thoai"),
        ("Customer ID #", "customer_id"),
        ("2024 score", "_2024_score"),
        ("x" * 80, "x" * 64),
    ],
)
def test_other_headers_become_attributes(header, key):
    assert auto_map([header]) == {header: f"attributes.{key}"}


def test_attribute_keys_stay_unique_and_the_first_email_column_wins():
    headers = ["E-mail", "Email", "Plan", "plan!", "日本", "", "Imię", "Name"]
    mapping = auto_map(headers)
    assert mapping == {
        "E-mail": "email",
        "Email": "attributes.email",
        "Plan": "attributes.plan",
        "plan!": "attributes.plan_2",
        "日本": "attributes.column_5",
        "": "attributes.column_6",
        "Imię": "first_name",
        "Name": "name",
    }
    validate_mapping(mapping, headers)


def test_a_sniffed_file_maps_and_validates(tmp_path):
    path = tmp_path / "lista.csv"
    path.write_bytes(
        "Adres e-mail;Imię;Nazwisko;Tagi;Data urodzenia;Zgoda;Miasto\r\n"
        "lukasz@x.pl;Łukasz;Żółć;vip;1990-02-03;tak;Łódź\r\n".encode("cp1250")
    )
    headers = sniff(path).headers
    mapping = auto_map(headers)
    assert list(mapping.values()) == [
        "email",
        "first_name",
        "last_name",
        "tags",
        "birthday",
        "consent",
        "attributes.miasto",
    ]
    validate_mapping(mapping, headers)


def test_no_email_column_is_named_as_the_problem():
    headers = ["Imię", "Nazwisko", "Telefon"]
    with pytest.raises(MappingError) as raised:
        validate_mapping(auto_map(headers), headers)
    assert str(raised.value) == (
        "No column is mapped to email: choose the column that holds the addresses "
        "(the file's columns are 'Imię', 'Nazwisko', 'Telefon')."
    )


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            {"Email": "email", "Mail 2": "email"},
            "Columns 'Email', 'Mail 2' are all mapped to email",
        ),
        ({"Email": "email", "A": "birthday", "B": "birthday"}, "mapped to birthday: choose one"),
        ({"Email": "email", "A": "attributes.x", "B": "attributes.x"}, "mapped to attributes.x"),
        ({"Email": "email", "Phone": "phone"}, "Column 'Phone': unknown field 'phone'"),
        ({"Email": "email", "A": "attributes.Bad Key"}, "'Bad Key' is not a valid attribute key"),
        ({"Email": "email", "A": "attributes."}, "'' is not a valid attribute key"),
        ({"Email": "email", "A": "attributes.9lives"}, "not starting with a digit"),
        ({"Email": "email", "A": "tags", "B": "tags"}, "Columns 'A', 'B' are all mapped to tags"),
        ({"Email": "email", "Nope": "name"}, "The file has no column 'Nope'"),
        ({"Email": "email", "A": None}, "Column 'A': the field must be text"),
        (["Email"], "must be an object"),
        ({"Email": ""}, "No column is mapped to email"),
    ],
)
def test_invalid_mappings(mapping, message):
    with pytest.raises(MappingError, match=message.replace("(", r"\(")):
        validate_mapping(mapping, ["Email", "Mail 2", "A", "B", "Phone"])


def test_valid_edits():
    headers = ["Email", "Tags", "Notes", "Phone"]
    # "" ignores a column; columns can be left out.
    validate_mapping({"Email": "email", "Tags": "tags", "Notes": "", "Phone": ""}, headers)
    validate_mapping({"Email": "email", "Phone": "attributes.phone_2"}, headers)
    validate_mapping({"Email": "email", "Phone": "attributes._2024"}, headers)
