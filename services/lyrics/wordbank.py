"""Scenes: the images that belong to a theme ("a train" brings platforms, tickets,
windows and the night, not "electric" for everything).

A scene is switched on when one of its ``keys`` appears in the request's theme, mood or
genre. Its words are lexicon words (see ``lexicon.py``); a noun the lexicon lacks is
written ``word:class,class`` and joins it with those classes for this scene. Adjectives
and verbs must be lexicon words, so that what they can go with is known.

Written for this project; every word is in cmudict (a test checks).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Parts of speech of the vocabulary ("tverb" takes an object).
PARTS_OF_SPEECH = ("noun", "adj", "verb", "tverb")


@dataclass(frozen=True)
class Scene:
    """The words of one topic. Each field is a space-separated list."""

    keys: str
    noun: str = ""
    adj: str = ""
    verb: str = ""
    tverb: str = ""

    def words(self, part_of_speech: str) -> list[str]:
        """The words of one part of speech, without their ``:classes`` notes."""
        text: str = getattr(self, part_of_speech)
        return [word.split(":")[0] for word in text.split()]

    def new_nouns(self) -> dict[str, frozenset[str]]:
        """Nouns this scene brings with their classes (``word:class,class``)."""
        found = {}
        for entry in self.noun.split():
            if ":" in entry:
                word, classes = entry.split(":")
                found[word] = frozenset(classes.split(","))
        return found


SCENES: tuple[Scene, ...] = (
    Scene(
        keys="train trains railway railroad station locomotive track tracks commute",
        noun="""train station platform ticket whistle engine carriage window
            track:place rail:place conductor:person passenger:person night
            suitcase timetable:paper""",
        adj="last late distant rolling midnight empty early",
        verb="roll rumble leave arrive wait pass",
        tverb="ride catch miss hear",
    ),
    Scene(
        keys="sea ocean beach wave waves sail sailor shore tide island harbor coast",
        noun="ocean wave tide shore sand:land sail:object harbor lighthouse island boat sailor",
        adj="salty endless wild gentle silver",
        verb="crash roll drift sail sparkle",
        tverb="cross hear watch",
    ),
    Scene(
        keys="night midnight moon stars star evening nights",
        noun="midnight moon star moonlight starlight lantern candle",
        adj="silver quiet starry silent velvet",
        verb="glow shine fade sleep",
        tverb="watch chase",
    ),
    Scene(
        keys="fire flame burn burning heat campfire bonfire",
        noun="fire flame spark ember smoke campfire:light,place firewood:object",
        adj="burning warm golden flickering",
        verb="burn glow flicker",
        tverb="light watch",
    ),
    Scene(
        keys="city town street streets urban downtown neon subway traffic lights",
        noun="city street avenue subway rooftop neon traffic:sound corner siren sidewalk taxi",
        adj="neon crowded restless electric",
        verb="wake sleep hum",
        tverb="cross walk",
    ),
    Scene(
        keys="road highway travel journey drive driving car truck wander trip miles",
        noun="road highway mile:place wheel:object engine horizon border dust:precip car",
        adj="open dusty endless lonely rolling",
        verb="drive roll wander",
        tverb="follow cross ride",
    ),
    Scene(
        keys="summer sun sunny july vacation",
        noun="summer sun sunlight beach lemonade july afternoon",
        adj="sunny golden lazy warm",
        verb="shine glow",
        tverb="chase taste",
    ),
    Scene(
        keys="winter snow ice frost december christmas cold",
        noun="winter snow snowflake frost:precip december fireplace:place blanket window",
        adj="cold frozen silent quiet gentle",
        verb="fall drift melt shiver",
        tverb="watch catch",
    ),
    Scene(
        keys="rain rainy storm storms thunder cloud clouds weather",
        noun="rain storm thunder cloud puddle:place umbrella window lightning",
        adj="heavy gentle stormy rainy",
        verb="fall roll rumble",
        tverb="hear watch taste",
    ),
    Scene(
        keys="space galaxy planet rocket universe cosmic astronaut desert",
        noun="galaxy planet star comet horizon sky desert dune",
        adj="distant silent endless starry",
        verb="shine glow drift",
        tverb="watch chase",
    ),
    Scene(
        keys="""home family house mother father kitchen grandmother grandma grandfather
            grandpa granny grandparents hometown""",
        noun="""home house porch kitchen table mother father doorway:spot grandmother
            supper bread kettle hometown photograph""",
        adj="warm familiar old wooden little",
        verb="stay wait",
        tverb="miss remember hold bake",
    ),
    Scene(
        keys="""forest nature tree trees mountain mountains river garden flower flowers
            meadow valley""",
        noun="forest tree mountain river garden flower meadow valley leaf rose willow",
        adj="wild misty quiet gentle",
        verb="bloom grow sway whisper",
        tverb="cross watch",
    ),
    Scene(
        keys="music song songs sing singer guitar band melody radio piano dance",
        noun="song melody guitar radio chorus rhythm drum stage piano dancer",
        adj="electric familiar old sweet",
        verb="sing dance hum",
        tverb="play hear sing",
    ),
    Scene(
        keys="freedom free liberty escape wings bird birds",
        noun="freedom bird sky horizon sparrow",
        adj="open wild endless",
        verb="fly rise",
        tverb="chase find",
    ),
    Scene(
        keys="friend friends friendship together",
        noun="friend brother sister laughter promise",
        adj="old familiar careless",
        verb="laugh stay sing",
        tverb="miss call trust remember",
    ),
    Scene(
        keys="coffee cafe espresso latte tea cup mug breakfast",
        noun="coffee cup mug steam:drink cafe sugar kettle breakfast table window",
        adj="warm bitter sleepy",
        verb="steam wake",
        tverb="pour taste share",
    ),
    Scene(
        keys="morning mornings dawn sunrise daybreak early sunday",
        noun="morning dawn sunrise daylight breakfast window sunday",
        adj="early sleepy golden lazy",
        verb="wake rise shine",
        tverb="greet",
    ),
    Scene(
        keys="robot robots machine machines android cyborg computer circuit",
        noun="""robot:person machine:object circuit:object wire:object metal:object
            signal:sound battery:object engine rhythm""",
        adj="electric humming rusty",
        verb="hum dance",
        tverb="play",
    ),
    Scene(
        keys="paris france french eiffel seine",
        noun="cafe boulevard:place river bridge tower:place accordion:sound wine avenue",
        adj="golden velvet",
        verb="wander linger",
        tverb="kiss",
    ),
    Scene(
        keys="school class classroom teacher graduation",
        noun="""schoolyard classroom teacher bell hallway desk:object book page
            summer friend""",
        adj="last early old",
        verb="ring laugh",
        tverb="remember leave",
    ),
    Scene(
        keys="phone call message screen",
        noun="phone message:paper screen:light signal:sound voice",
        adj="broken silent",
        verb="ring",
        tverb="call break",
    ),
    Scene(
        keys="kitchen cooking baking pancakes pancake breakfast sunday",
        noun="kitchen pancake butter honey syrup:food breakfast table radio",
        adj="warm sweet golden sleepy",
        verb="dance laugh",
        tverb="bake share taste",
    ),
    Scene(
        keys="lighthouse keeper lighthouses coast",
        noun="lighthouse beacon lantern keeper tide wave harbor",
        adj="lonely silent distant",
        verb="shine wait",
        tverb="light watch keep",
    ),
    Scene(
        keys="desert dune sand cactus",
        noun="desert dune sand:land sky star horizon",
        adj="endless silent dusty",
        verb="shine drift",
        tverb="cross",
    ),
    Scene(
        keys="letter letters mail postcard waiting write",
        noun="letter envelope postcard page doorway:spot mailbox:object",
        adj="faded old",
        verb="wait",
        tverb="write read open keep",
    ),
    Scene(
        keys="heartbreak heartbroken goodbye breakup",
        noun="heartache goodbye:feeling heart promise photograph",
        adj="broken empty cold",
        verb="cry fade break",
        tverb="forget lose miss",
    ),
    Scene(
        keys="dance dancing dancer floor club disco",
        noun="floor:place dancer rhythm light song",
        adj="electric crowded dancing",
        verb="dance sway",
        tverb="play",
    ),
    Scene(
        keys="garden gardens flowers bloom blossom",
        noun="garden rose petal blossom leaf ivy",
        adj="gentle golden",
        verb="bloom grow sway",
        tverb="watch",
    ),
)

#: Place names a theme may use even in lower case ("paris" is sung as "Paris", with no
#: "the"). Capitalized words of a theme that the lexicon does not know are names too.
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
    "rock": "energetic",
    "blues": "sad road",
    "country": "road home nostalgic",
    "folk": "home nostalgic",
    "hiphop": "city energetic",
    "rap": "city energetic",
    "jazz": "night city calm",
    "metal": "dark angry",
    "reggae": "summer calm",
    "soul": "love",
    "rnb": "love night",
    "lullaby": "calm night",
    "ballad": "sad love",
    "pop": "happy",
    "edm": "energetic dance",
    "disco": "energetic dance",
    "punk": "angry",
    "ambient": "calm",
    "chanson": "love",
    "indie": "nostalgic",
    "acoustic": "calm",
    "gospel": "hopeful",
}
