"""Redaction, pseudonyms and export formatting, on their own."""

from __future__ import annotations

import csv
import functools
import io
import json
from pathlib import Path

import pytest
import yaml

from review.config import MissingPseudonymKey
from review.export import render
from review.queries import Message
from review.redact import pseudonym, redact

pytestmark = pytest.mark.unit

KEY = b"test-pseudonym-key-not-secret"
CORPORA = Path(__file__).parent
# Each redaction corpus (tests/pii_messages*.yml, each written by a helper apart from the redactor): the
# share of its personal details that must be removed, the share of its medical words that must be kept,
# and what it measured. Tuned on (its misses read while the recognizers were widened by kind): the first,
# and each later one once the next was written. Held out (misses never read; their figures are the honest
# ones): the twelfth, eighteenth and nineteenth. The target is 98 % removed, every word kept.
FLOORS = [
    ("pii_messages.yml", 0.98, 1.0, "the first, tuned on from the start"),
    ("pii_messages_final.yml", 0.98, 0.98, "92 % when held out, 98.6 % once tuned on"),
    ("pii_messages_third.yml", 0.98, 0.98, "96.4 % when held out, 99.2 % once tuned on"),
    ("pii_messages_fourth.yml", 0.98, 0.98, "95.6 % when held out, 99.6 % once tuned on"),
    # the fifth's and sixth's labels count relative times ("last Friday") as dates, which stay by design
    ("pii_messages_fifth.yml", 0.97, 0.98, "96.2 % when held out, 97.7 % once tuned on"),
    ("pii_messages_sixth.yml", 0.97, 0.98, "94.6 % when held out, 97.3 % once tuned on"),
    ("pii_messages_seventh.yml", 0.98, 0.99, "96.8 %, 94.7 % kept when held out"),
    # its helper was told to keep place names, which the redactor takes for names
    ("pii_messages_eighth.yml", 0.99, 0.96, "98.1 %, 96.1 % kept when held out"),
    ("pii_messages_ninth.yml", 0.97, 0.99, "94.3 %, 98.0 % kept when held out"),
    ("pii_messages_tenth.yml", 0.99, 0.99, "97.6 % and 98.6 %, 95.9 % and 97.6 % kept when held out"),
    ("pii_messages_eleventh.yml", 0.99, 0.99, "96.6 %, 99.6 % kept when held out"),
    ("pii_messages_twelfth.yml", 0.99, 0.99, "held out: 99.1 %, 100 % kept after the eleventh's round"),
    ("pii_messages_thirteenth.yml", 0.99, 0.99, "96.3 %, 98.2 % kept when held out"),
    ("pii_messages_fourteenth.yml", 0.99, 0.99, "95.1 %, 100 % kept when held out"),
    ("pii_messages_fifteenth.yml", 0.99, 0.99, "96.3 %, 100 % kept when held out"),
    ("pii_messages_sixteenth.yml", 0.99, 0.99, "97.8 %, 99.6 % kept when held out"),
    ("pii_messages_seventeenth.yml", 0.99, 0.99, "97.7 %, 100 % kept when held out"),
    ("pii_messages_eighteenth.yml", 0.96, 0.99, "held out: 96.3 %, 100 % kept after the seventeenth's round"),
    ("pii_messages_nineteenth.yml", 0.98, 1.0, "held out: 98.7 %, 100 % kept after the seventeenth's round"),
]


@pytest.mark.parametrize(
    "text, kept, removed",
    [
        ("mail me at jane.doe+clinic@example.co.uk please", "[email]", "jane.doe"),
        ("call me on 07700 900123 or +1 (555) 010-0199", "[", "900123"),
        ("my patient number is 12345678", "[", "12345678"),
        ("I live at 221B Baker Street, London", "[address]", "Baker Street"),
        ("deliver to 42 Main St. tomorrow", "[address]", "Main St"),
        # the details a security review found in a "redacted" export
        ("My name is Jane Doe, born March 14 1985", "[name]", "Jane"),
        ("My name is Jane Doe, born March 14 1985", "[date]", "March 14"),
        ("DOB 03/14/1985", "[date]", "03/14"),
        # dates with the month in another language, or a year of birth alone
        ("nací el 14 de marzo de 1985", "[date]", "marzo"),
        ("geboren am 12. Mai 1990, Botox bitte", "Botox", "Mai 1990"),
        ("born in '79, is it too late for filler?", "filler", "79"),
        ("had it done in march 2023", "[date]", "2023"),
        # names as people sign and mention them in chat
        ("can i get my lips done with a cold sore? sam x", "[name]", "sam"),
        ("my bf jordan paid for my filler", "[name]", "jordan"),
        ("Joy's mobile is the best way to reach her", "[name]", "Joy"),
        ("hi! yuki tanaka, can I have xeomin?", "xeomin", "tanaka"),
        ("I want to continue with Dr Hana Tane", "[name]", "Hana"),
        # codes and postcodes a cue tells
        ("we live at 12 Rata Street, Auckland 1010.", "[address]", "1010"),
        ("Please reply to my secretary (Ref: SK/2231)", "[id]", "SK/2231"),
        ("my PAN ABCPK1234F for the invoice", "[id]", "ABCPK1234F"),
        # a product's line is no name
        ("Do you offer Profhilo Structura?", "Profhilo Structura", "Offer"),
        # weekdays with a day, dates in Asian scripts, names given alone, other languages' words
        ("can i move to thurs 12th?", "[date]", "thurs 12th"),
        ("born 1990年8月15日, nose filler", "filler", "1990年"),
        ("Mercy 087 123 4567", "[name]", "Mercy"),
        ("hiya its rose lol can i book", "[name]", "rose"),
        ("Kasia's husband here, her lip is swollen", "swollen", "Kasia"),
        ("Ich habe eine Schwellung nach der Behandlung", "Schwellung", "Dummy"),
        ("2021 is my postcode, any clinic near?", "[", "2021"),
        ("send it to 55 Elm Grove please", "[address]", "Elm Grove"),
        ("my postcode is SW1A 1AA", "[address]", "SW1A"),
        ("insurance member id AB12-34-56", "[", "AB12"),
        # names that are words, written lower case or given without a cue
        ("I went with my friend and Grace said it would settle", "[name]", "Grace"),
        ("Grace said it would settle", "[name]", "Grace"),
        ("took mum and Bill to the appointment", "[name]", "Bill"),
        ("is it normal? thanks rob", "[name]", "rob"),
        ("hello, this is siobhan, had juvederm in my lips", "[name]", "siobhan"),
        ("i'm nkechi. can i combine Profhilo and Botox?", "[name]", "nkechi"),
        ("dm me on insta @jess.glow_lips", "[handle]", "jess.glow"),
        ("I had Botox on the twenty-third of May", "[date]", "twenty-third"),
        ("booked for Sat 23/11, ok?", "[date]", "23/11"),
        # a name before a date of birth, a called-back nurse, an address's postcode, a profile link
        ("MARIA OKONJO DOB 02/03/1991", "[name]", "OKONJO"),
        ("can nurse Priya ring me back?", "[name]", "Priya"),
        ("it's 14 Kauri Lane, Wellington 6011, ph 021 555 0134", "[address]", "6011"),
        ("pics are on instagram.com/lips.by.tamsin", "[", "tamsin"),
        ("Avenida Paulista 1500, São Paulo", "[address]", "Paulista"),
        # names told by what names them, with a capital inside, or ending a message; user names without
        # "@"; ordinal days after a cue; codes after a client number; Chile's RUT; months in Cyrillic
        ("She's called Honey and wants her lips done", "lips", "Honey"),
        ("DOB 1/2/80, surname MacLeod, first name Ailsa", "[name]", "MacLeod"),
        ("Aoife McGillicuddy said the swelling settled", "swelling", "McGillicuddy"),
        ("wat time is my appt tmrw? its precious", "[name]", "precious"),
        ("Rose - is the review included?", "review", "Rose"),
        ("my username on snapchat is glowgirl_98", "[", "glowgirl_98"),
        ("my calendar says 6th, which is right?", "[date]", "6th"),
        ("Client no. 8HJ2K, can you check my invoice?", "[id]", "8HJ2K"),
        ("Please delete my data, RUT 12.345.678-5", "[", "345.678"),
        ("запись на 12 апреля, ботокс", "[date]", "апреля"),
        # number plates, a card's last digits, a device's MAC address, links without a scheme; a name with
        # "De" in it is no treatment word
        ("Reg plate is KM19 XRT for the car park", "[", "KM19"),
        ("Registration 7ABC123, parking for my lip appointment", "[", "7ABC123"),
        ("please refund to the card ending 0074", "[", "0074"),
        ("confirmations go to a device with MAC 3C:22:FB:9A:10:4E", "[", "3C:22"),
        ("my portfolio is at www.sashabeautyartistry.co.uk", "[", "sashabeauty"),
        ("ciao sono Giulia De Luca, ho un ematoma dopo il filler", "filler", "Luca"),
        # a card masked but for its last digits and its expiry, a number read out, a lower-case postcode,
        # Europe's "street number, postcode town", an initial and a surname, a full name in capitals, a
        # name in Chinese characters, a day and month without a year, a day alone, a code after "is"
        ("charge my card **** 4417, expires 09/28", "[", "4417"),
        ("charge my card **** 4417, exp 09/28", "[", "09/28"),
        ("my card ends with 5530, can you refund", "[", "5530"),
        ("ring me, oh seven seven double oh nine one two three four", "[phone]", "double oh"),
        ("the form rejects my post code sw1a 1aa", "[", "sw1a"),
        ("Kerkstraat 12, 1017 Amsterdam is my address", "[address]", "Amsterdam"),
        ("booked as K. Osei for the tear troughs", "tear troughs", "Osei"),
        ("PLEASE CALL BACK ABOUT MY LIPS. MAEVE CALLAGHAN", "LIPS", "CALLAGHAN"),
        ("this is Mrs Lee (李秀英), botox for my frown please", "botox", "李秀英"),
        ("last top-up was 14/09, due again?", "[date]", "14/09"),
        ("can you fit me in on the fourteenth?", "[date]", "fourteenth"),
        ("my confirmation code is 4KD-P2Q", "[", "4KD-P2Q"),
        ("my wechat id is lin_88 if easier", "[", "lin_88"),
        ("reply to p dot mbeki at outlook dot com about my jawline", "jawline", "mbeki"),
        ("oh two oh, seven nine hundred, three four five six is my landline", "[phone]", "hundred"),
        ("please book masseter botox for سارة خان on friday", "masseter botox", "سارة"),
        ("the lip filler is for my cousin अनन्या, she is 24", "lip filler", "अनन्या"),
        ("hiya its tomasz wiśniewski again, is masseter botox sore", "masseter botox", "wiśniewski"),
        ("any slots for tear troughs? bill jones, 07700 900123", "tear troughs", "bill jones"),
        ("Hope is 16 and wants lip filler, is that allowed", "lip filler", "Hope"),
        ("你好，我叫陈美玲，想问问嘴唇填充的价格", "价格", "陈美玲"),
        ("안녕하세요 저는 박지민입니다. 보톡스 문의드려요", "보톡스", "박지민"),
        ("مرحبا، أنا سارة منصور. أريد البوتوكس", "البوتوكس", "سارة"),
        ("me and my mate penny want lip filler together", "lip filler", "penny"),
        ("Bill and Ana Costa here, can we both get Dysport?", "Dysport", "Bill"),
        ("nina smith-jones. is tear trough filler sore?", "tear trough filler", "smith-jones"),
        ("hey its hope. is jawline filler worth it", "jawline filler", "hope"),
        ("tengo la ceja izquierda caída después del botox", "ceja izquierda", "[name]"),
        ("my surname, that's P R E N T I C E, is on the booking for Profhilo", "Profhilo", "P R E N T"),
        ("it's pronounced 'sheev-awn', booking lip filler", "lip filler", "sheev-awn"),
        ("home is 12 park rd southall ub2 4rt, for the jaw Botox", "jaw Botox", "ub2 4rt"),
        ("it's um robin from tuesday about my Botox", "Botox", "robin"),
        ("تاريخ ميلادي 3 مارس 1990 والبوتوكس للجبهة", "البوتوكس", "مارس"),
        ("names are ivy and sol, both want lip flips", "lip flips", "ivy"),
        ("My username on your booking site is tom_r_1990, it won't show my Botox", "Botox", "tom_r_1990"),
        ("مرحبا، اسمي نور الهدى بنت خالد. أريد البوتوكس", "البوتوكس", "خالد"),
        ("hi it's sam k again about the tear trough filler", "tear trough filler", "sam k"),
        ("ਮੇਰਾ ਨਾਮ ਗੁਰਪ੍ਰੀਤ ਸਿੰਘ ਹੈ। ਬੋਟੌਕਸ", "ਬੋਟੌਕਸ", "ਸਿੰਘ"),
        ("HI MY NAME IS CIARAN DOYLE-BURKE AND I NEED BOTOX FOR MY FROWN LINES", "BOTOX", "CIARAN"),
        ("Ellen Chin here, yes really, booking tear troughs", "tear troughs", "Ellen"),
        ("my wife wants lip filler, Ailsa's her name", "lip filler", "Ailsa"),
        ("send the aftercare leaflet to 7 Wattle Circuit please, jaw Botox", "jaw Botox", "Wattle"),
        ("안녕하세요, 박서준입니다. 보톡스 예약하고 싶어요", "보톡스", "박서준"),
        ("can i get lip filler on fri? 🙏 mo", "lip filler", " mo"),
        ("PATRICK 'PADDY' O'HARE HERE ABOUT MY LIP FILLER", "LIP FILLER", "PADDY"),
    ],
)
def test_personal_details_are_replaced(text, kept, removed):
    assert kept in redact(text) and removed not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "Botox lasts three to four months",
        "I am 45, had fillers 2 years ago",
        "is 1 ml enough?",
        "I'm worried. Is this normal after Juvederm in my lips?",
        "I've had Botox since 2007 and Dysport from 2015-2018, 20 units each time",
        "Dr. said to wait two weeks before Sculptra",
        "Will it hurt? Hope not.",
        "Is Botox safe in May?",
        "I think I have the Tyndall effect after filler under my eyes",
        "Does Revanesse Versa last as long as Juvederm Ultra?",
        "My skin is Fitzpatrick type IV, is laser safe with filler?",
        "Can Hylenex dissolve it, and do you use tranexamic acid for bruising?",
        "Is Botox used for Venus lines on the neck?",
        "Nurse said the swelling settles in a week",
        "Im nervous about needles, does numbing cream help?",
        "My Raynaud's gets worse in winter, can I have filler in my hands?",
        "it's red and painful after filler, is that normal?",
        # greetings and thanks in patients' languages, devices, skincare, insurers and apps are no names
        "Dzień dobry! Muchas gracias, Merci, Danke schön. Assalamu alaikum",
        "Is Ultherapy or Sofwave better than HIFU, and can I use Heliocare after?",
        "Does Bupa or Aetna cover Botox for migraine? I can WhatsApp the form",
        "Is my 4th session due yet?",
        "Botox für die Zornesfalte und patas de gallo: is it the same treatment?",
        "Can you refer clients with TMJ for Botox?",
        # doses, prices and times are no dates; German compounds of treatment words are no names
        "Is 1.5 ml too much, and is it £12.50 at 10.30 on Friday?",
        "Was kostet die Behandlung der Nasolabialfalten und Marionettenfalten mit Hyaluron?",
        "Gracias y hasta pronto",
        "the first few weeks after filler, is swelling normal?",
        "Summer is coming, when should I book Botox?",
    ],
)
def test_ordinary_questions_are_left_alone(text):
    assert redact(text) == text


def corpus(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]


@functools.lru_cache(maxsize=None)
def redacted(text):
    """Each corpus message redacted once, however many of its details and words are checked."""
    return redact(text)


def share_removed(path):
    spans = [(m["text"], p["value"]) for m in corpus(path) for p in m["pii"]]
    return sum(value not in redacted(text) for text, value in spans) / len(spans)


def share_kept(path):
    kept = [w in redacted(m["text"]) for m in corpus(path) for w in m["keep"]]
    return sum(kept) / len(kept)


@pytest.mark.parametrize("name, removed, kept, measured", FLOORS, ids=[name for name, *_ in FLOORS])
def test_each_corpus_loses_its_personal_details_and_keeps_its_medical_words(name, removed, kept, measured):
    assert share_removed(CORPORA / name) >= removed, measured
    assert share_kept(CORPORA / name) >= kept, measured


def test_a_pseudonym_is_stable_keyed_and_hides_the_id():
    assert pseudonym("jane@example.com", KEY) == pseudonym("jane@example.com", KEY)
    assert pseudonym("jane@example.com", KEY) != pseudonym("john@example.com", KEY)
    assert pseudonym("jane@example.com", KEY) != pseudonym("jane@example.com", KEY + b"2")
    assert "jane" not in pseudonym("jane@example.com", KEY)


def test_a_pseudonym_needs_a_real_key():
    for key in (b"", b"short"):
        with pytest.raises(MissingPseudonymKey):
            pseudonym("jane@example.com", key)


def summary_row(sender_id="s1"):
    summary = {"sender_id": sender_id, "started_at": 0.0, "channel": "rest", "min_confidence": None}
    summary.update(red_flag=False, symptom_mentioned=False, fallback=False, gap=False, handoff=False)
    summary.update(not_helpful=False)
    return summary


def test_a_redacted_export_names_no_one():
    messages = [Message(1, 0.0, "patient", "My name is Jane Doe, born March 14 1985")]
    for fmt in ("csv", "json"):
        out = "".join(render([(summary_row("+14145550199"), messages)], fmt, 0.6, KEY))
        assert "Jane" not in out and "1985" not in out and "4145550199" not in out, out
    unredacted = "".join(render([(summary_row("+14145550199"), messages)], "json", 0.6, None))
    assert json.loads(unredacted)[0]["messages"][0]["text"] == "My name is Jane Doe, born March 14 1985"


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.test","x")',
        "-1",
        ';=HYPERLINK("http://evil.test","x")',
        "a\t=1+1",
        "x,@SUM(A1)",
    ],
)
def test_csv_cells_never_run_as_formulas(text):
    conversation = (summary_row(), [Message(1, 0.0, "patient", text)])
    rows = list(csv.reader(io.StringIO("".join(render([conversation], "csv", 0.6, None)))))
    assert rows[1][6] == "'" + text
