"""Curated words for the local lyricist, by part of speech, mood and topic.

Only words that sing well and fit the grammar in ``grammar.py``: nouns are singular and
take "the" ("the river"), adjectives stand after "is" ("the night is cold"), ``verb``
is intransitive in its base form ("let the river run"), ``tverb`` takes an object ("I
hold the light", "take me to the sea"). Every word is in cmudict (a test checks).

A mood or topic is switched on when one of its ``keys`` appears in the request's
mood, genre or theme; the general bank is always there to fill the gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

PARTS_OF_SPEECH = ("noun", "adj", "verb", "tverb")


@dataclass(frozen=True)
class Bank:
    """Words of one mood or topic. Each field is a space-separated list."""

    keys: str = ""
    noun: str = ""
    adj: str = ""
    verb: str = ""
    tverb: str = ""

    def words(self, part_of_speech: str) -> list[str]:
        text: str = getattr(self, part_of_speech)
        return text.split()


GENERAL = Bank(
    noun="""heart night light love dream fire sky rain road home time soul sun moon star
    wind sea world day song voice hand door name way life mind morning evening shadow
    river ocean mountain city street window garden summer winter spring autumn memory
    story promise secret silence thunder lightning midnight sunrise sunset horizon
    heaven island valley harbor highway country feeling moment season echo whisper
    flame spark ember candle lantern mirror picture letter melody rhythm chorus
    heartbeat freedom wonder glory answer question journey distance weather rainbow
    meadow forest desert canyon shoreline daylight starlight moonlight""",
    adj="""bright cold warm wild free young lost blue gold golden silver silent broken
    endless gentle quiet restless tender hollow open burning shining fading distant
    hidden sacred simple strange true clear deep high low slow fast sweet bitter lonely
    brave steady careless reckless holy honest heavy easy empty crazy lucky dizzy
    electric magic velvet crimson emerald""",
    verb="""dance run fly fall rise shine burn breathe sing cry wait stay glow drift
    fade grow live wake roam wander whisper echo linger bloom soar sail climb hide heal
    shake spin turn move stand break bend dream smile laugh pray""",
    tverb="""hold chase find feel follow remember carry need miss keep call touch see
    hear know reach take lead bring guide meet trust light free save wake""",
)

MOODS: tuple[Bank, ...] = (
    Bank(
        keys="happy joy joyful upbeat cheerful fun bright sunny pop",
        noun="sunshine laughter summer party glow smile color morning holiday song",
        adj="happy bright sunny golden lucky sweet easy shining dizzy alive",
        verb="dance laugh shine smile sing glow jump play celebrate",
        tverb="celebrate light share paint",
    ),
    Bank(
        keys="sad sadness melancholy heartbroken heartbreak grief lonely blue blues",
        noun="tear rain goodbye silence shadow ghost memory ash winter ending sorrow",
        adj="lonely broken empty hollow cold gray faded heavy tired lost",
        verb="cry fade fall break drown weep wither ache",
        tverb="miss mourn lose forget regret",
    ),
    Bank(
        keys="love romantic romance tender longing crush passion passionate",
        noun="kiss heart embrace promise rose darling lover touch devotion desire",
        adj="tender sweet warm true gentle close precious velvet",
        verb="love kiss hold stay belong melt",
        tverb="love kiss hold embrace adore treasure",
    ),
    Bank(
        keys="angry anger rage defiant furious rebel punk metal fight",
        noun="fury storm thunder battle fire war rage lightning cage chain",
        adj="angry wild fierce reckless savage loud burning bitter",
        verb="burn fight roar scream rage rise explode",
        tverb="break fight burn defy shatter",
    ),
    Bank(
        keys="calm peaceful chill relaxed serene gentle quiet lullaby ambient",
        noun="breeze meadow lake cloud silence river pillow evening harbor tide",
        adj="calm quiet gentle soft still easy slow peaceful",
        verb="rest drift float breathe sleep linger",
        tverb="hush soothe cradle hold",
    ),
    Bank(
        keys="hopeful hope uplifting inspiring inspirational gospel triumphant",
        noun="sunrise dawn light tomorrow wing horizon promise beacon miracle",
        adj="bright new strong free rising golden brave",
        verb="rise soar climb shine believe overcome",
        tverb="reach find build believe",
    ),
    Bank(
        keys="dark mysterious eerie haunting gothic spooky ominous",
        noun="shadow ghost raven midnight grave fog darkness mirror curse moon",
        adj="dark cold hollow haunted pale secret silent wicked",
        verb="haunt creep whisper vanish hide linger",
        tverb="haunt hide bury follow",
    ),
    Bank(
        keys="energetic energy party excited dance edm electronic club hype",
        noun="beat bass rhythm floor night fire neon pulse crowd",
        adj="electric loud wild alive crazy high neon",
        verb="dance jump move shake spin bounce",
        tverb="move shake feel light",
    ),
    Bank(
        keys="nostalgic nostalgia wistful memories reminiscent old",
        noun="memory photograph summer childhood yesterday letter echo",
        adj="old faded golden young distant",
        verb="remember wander linger fade",
        tverb="remember recall miss",
    ),
)

TOPICS: tuple[Bank, ...] = (
    Bank(
        keys="sea ocean beach wave waves sail sailor shore tide island harbor",
        noun="ocean wave tide shore sand sail harbor lighthouse island current salt",
        adj="blue deep salty endless wild",
        verb="sail drift float swim crash",
        tverb="sail cross ride",
    ),
    Bank(
        keys="night midnight moon stars star dark evening",
        noun="midnight moon star moonlight starlight darkness lantern candle dream",
        adj="dark silver quiet starry silent",
        verb="glow dream shine whisper",
        tverb="light chase",
    ),
    Bank(
        keys="fire flame burn burning heat",
        noun="fire flame spark ember smoke ash blaze heat",
        adj="burning hot bright golden",
        verb="burn glow blaze ignite",
        tverb="burn light ignite",
    ),
    Bank(
        keys="city town street streets urban downtown neon subway traffic",
        noun="city street avenue skyline subway rooftop neon traffic corner siren",
        adj="neon crowded concrete restless electric",
        verb="hustle walk run roam",
        tverb="walk cross own",
    ),
    Bank(
        keys="road highway travel journey drive driving car truck country wander trip",
        noun="road highway journey mile wheel engine horizon border dust",
        adj="open dusty long endless lonely",
        verb="drive ride roam wander roll",
        tverb="drive ride follow cross",
    ),
    Bank(
        keys="summer sun sunny heat july vacation",
        noun="summer sun sunshine beach lemonade heat july",
        adj="sunny golden warm lazy",
        verb="shine swim glow",
        tverb="chase",
    ),
    Bank(
        keys="winter snow cold ice frost december christmas",
        noun="winter snow ice frost fireplace december snowflake",
        adj="cold white frozen silent",
        verb="freeze fall shiver",
        tverb="warm",
    ),
    Bank(
        keys="rain storm storms thunder cloud clouds weather",
        noun="rain storm thunder cloud puddle umbrella lightning",
        adj="gray wet heavy stormy",
        verb="pour fall rumble",
        tverb="weather",
    ),
    Bank(
        keys="space sky stars galaxy planet rocket universe cosmic astronaut",
        noun="galaxy planet rocket comet orbit universe satellite sky",
        adj="cosmic infinite weightless distant",
        verb="float fly orbit soar",
        tverb="explore",
    ),
    Bank(
        keys="""home family house mother father childhood kitchen grandmother grandma
        grandfather grandpa granny grandparents""",
        noun="home house porch kitchen family mother father doorway fireplace",
        adj="warm safe familiar",
        verb="stay belong return",
        tverb="welcome",
    ),
    Bank(
        keys="forest nature tree trees mountain mountains river garden flower flowers",
        noun="forest tree mountain river garden flower meadow valley leaf rose petal seed",
        adj="green wild ancient gentle",
        verb="bloom grow blossom",
        tverb="plant water",
    ),
    Bank(
        keys="time clock hour years forever memory past future",
        noun="time clock hour yesterday tomorrow forever moment season",
        adj="endless fleeting golden",
        verb="wait pass linger",
        tverb="spend",
    ),
    Bank(
        keys="music song songs sing singer guitar band melody radio",
        noun="song melody guitar radio chorus rhythm drum stage harmony",
        adj="loud sweet electric",
        verb="sing play hum",
        tverb="play sing hum",
    ),
    Bank(
        keys="freedom free liberty escape wings bird birds",
        noun="freedom wing bird sky horizon",
        adj="free wild open",
        verb="fly soar escape",
        tverb="free",
    ),
    Bank(
        keys="friend friends friendship together",
        noun="friend brother sister laughter promise",
        adj="true loyal together",
        verb="stand laugh stay",
        tverb="trust call",
    ),
    Bank(
        keys="dream dreams dreaming sleep wish",
        noun="dream wish pillow cloud stardust",
        adj="dreamy soft hazy",
        verb="dream drift sleep",
        tverb="imagine",
    ),
    Bank(
        keys="coffee cafe espresso latte tea cup mug breakfast",
        noun="coffee cup mug steam cafe sugar cream kettle breakfast table aroma",
        adj="warm bitter black hot strong sweet",
        verb="wake steam brew",
        tverb="pour brew sip taste",
    ),
    Bank(
        keys="morning mornings dawn sunrise daybreak breakfast early",
        noun="morning dawn sunrise daylight alarm breakfast window dew",
        adj="early sleepy bright fresh new",
        verb="wake rise yawn stretch shine",
        tverb="greet wake",
    ),
    Bank(
        keys="train trains railway railroad station locomotive subway track tracks",
        noun="train railway station track platform ticket whistle engine carriage rail",
        adj="iron steel rolling distant",
        verb="roll rumble depart arrive whistle",
        tverb="ride board catch",
    ),
    Bank(
        keys="robot robots machine machines android cyborg computer circuit artificial",
        noun="robot machine circuit wire metal engine signal code battery spark",
        adj="electric mechanical artificial metal chrome",
        verb="hum beep learn compute glow",
        tverb="learn compute program",
    ),
    Bank(
        keys="paris france french eiffel seine",
        noun="cafe boulevard river bridge tower accordion wine avenue romance",
        adj="french golden tender",
        verb="wander linger stroll",
        tverb="kiss",
    ),
)

#: Place names a theme may use even in lower case ("paris" is sung as "Paris", with no
#: "the"). Capitalized words of a theme that the banks do not know are names too.
_PLACE_NAMES_TEXT = """
    paris london rome tokyo berlin madrid venice vienna prague dublin moscow cairo sydney
    chicago boston texas california memphis nashville detroit brooklyn harlem manhattan
    hollywood vegas miami seattle denver atlanta havana lisbon athens istanbul amsterdam
    barcelona naples mexico canada spain italy ireland scotland england america africa
    india japan brazil egypt georgia alabama tennessee kentucky louisiana mississippi
    carolina jamaica hawaii alaska
"""
PLACE_NAMES = frozenset(_PLACE_NAMES_TEXT.split())

#: Genre words that suggest a mood or topic when the request names no mood.
GENRE_KEYS: dict[str, str] = {
    "rock": "fire energetic",
    "blues": "sad road",
    "country": "road home",
    "folk": "home forest",
    "hiphop": "city energetic",
    "rap": "city energetic",
    "jazz": "night city",
    "metal": "dark fire",
    "reggae": "summer calm",
    "soul": "love",
    "rnb": "love night",
    "lullaby": "calm night",
}
