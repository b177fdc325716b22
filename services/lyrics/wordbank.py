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
            track:place rail:place conductor:person passenger:person suitcase
            timetable:paper clock luggage:object bench:surface tunnel signal:light""",
        adj="late empty crowded creaking midnight early foggy",
        verb="roll rumble leave arrive wait pass rattle whistle",
        tverb="ride catch miss board hear",
    ),
    Scene(
        keys="sea ocean beach wave waves sail sailor shore tide island harbor coast",
        noun="""ocean wave tide shore sand:land sail:object harbor lighthouse island boat
            sailor anchor:object driftwood:object seagull:animal pebble:object
            seashell:object compass horizon""",
        adj="salty wild sandy azure misty endless",
        verb="crash roll drift sail splash shimmer ripple",
        tverb="cross hear watch",
    ),
    Scene(
        keys="night midnight moon stars star evening nights tonight",
        noun="midnight moon star moonlight starlight lantern candle owl lamppost:light sky",
        adj="starry velvet pale silver moonlit hushed shadowy sleepless",
        verb="glow shine twinkle gleam whisper flicker sparkle",
        tverb="watch count chase follow",
    ),
    Scene(
        keys="fire flame burn burning heat campfire bonfire",
        noun="fire flame spark ember smoke campfire:light,place firewood:object",
        adj="burning flickering smoky",
        verb="burn glow flicker crackle",
        tverb="light build",
    ),
    Scene(
        keys="city town street streets urban downtown neon subway traffic lights skyline",
        noun="""city street avenue subway rooftop neon traffic:sound corner siren sidewalk
            taxi skyline:celestial alley:place billboard:light pavement:surface
            crosswalk:surface elevator:vehicle skyscraper:place""",
        adj="neon crowded restless blinking noisy sleepless smoky narrow",
        verb="hum wake race buzz rush flicker",
        tverb="cross walk ride",
    ),
    Scene(
        keys="road highway travel journey drive driving car truck wander trip miles",
        noun="""road highway mile:place wheel:object engine horizon border dust:precip car
            motel:room map radio""",
        adj="open dusty lonely rolling muddy winding endless narrow",
        verb="drive roll wander race travel roam",
        tverb="follow cross ride",
    ),
    Scene(
        keys="summer sun sunny july vacation",
        noun="""summer sun sunlight beach lemonade july afternoon sunflower:plant
            seashore:surface sunscreen:object""",
        adj="sunny lazy bright sandy balmy sunlit",
        verb="shine glow blaze",
        tverb="chase taste",
    ),
    Scene(
        keys="winter snow ice frost december christmas cold",
        noun="""winter snow snowflake frost:precip december fireplace:room blanket window
            snowman:person mitten:object sled:vehicle icicle:object chimney:place
            snowfall:precip""",
        adj="frozen frosty snowy bitter",
        verb="fall drift melt shiver tumble",
        tverb="watch catch wrap",
    ),
    Scene(
        keys="rain rainy storm storms thunder cloud clouds weather",
        noun="""rain storm thunder cloud puddle:place umbrella window lightning
            raindrop:precip downpour:precip gutter:place windowpane:spot raincoat:object""",
        adj="heavy stormy rainy flooded misty grey",
        verb="fall roll rumble pour drip trickle",
        tverb="hear watch taste",
    ),
    Scene(
        keys="space galaxy planet rocket universe cosmic astronaut",
        noun="galaxy planet star comet horizon sky rocket:vehicle moon",
        adj="distant silent endless starry",
        verb="shine glow drift twinkle",
        tverb="watch chase count",
    ),
    Scene(
        keys="""home family house mother father kitchen grandmother grandma grandfather
            grandpa granny grandparents hometown""",
        noun="""home house porch kitchen table mother father grandmother supper
            bread kettle hometown photograph chair apron:object recipe:paper quilt:object
            attic""",
        adj="familiar wooden creaking little cozy painted faded worn",
        verb="stay wait linger return rest",
        tverb="miss remember hold bake keep sweep welcome mend cherish",
    ),
    Scene(
        keys="""forest nature tree trees mountain mountains river garden flower flowers
            meadow valley""",
        noun="forest tree mountain river garden flower meadow valley leaf rose willow cliff",
        adj="wild misty blooming bare",
        verb="bloom grow sway whisper",
        tverb="cross climb",
    ),
    Scene(
        keys="music song songs sing singer guitar band melody radio piano",
        noun="""song melody guitar radio chorus rhythm drum stage piano jukebox:sound
            microphone:object spotlight:light encore:sound trumpet:sound violin:sound
            saxophone:sound vinyl:object""",
        adj="electric sweet static",
        verb="sing hum",
        tverb="play hear sing strum tune",
    ),
    Scene(
        keys="freedom free liberty escape wings bird birds",
        noun="freedom bird sky horizon sparrow wing:body",
        adj="open wild",
        verb="fly rise soar glide",
        tverb="chase find",
    ),
    Scene(
        keys="friend friends friendship together",
        noun="friend brother sister laughter promise secret photograph",
        adj="careless reckless loyal faithful lucky",
        verb="laugh stay sing wander roam",
        tverb="miss call trust remember meet share",
    ),
    Scene(
        keys="coffee cafe espresso latte tea cup mug breakfast",
        noun="""coffee cup mug steam:drink cafe sugar kettle breakfast table
            newspaper:paper saucer:object croissant:food teacup:object""",
        adj="steaming bitter sleepy",
        verb="steam",
        tverb="pour taste share brew sip stir",
    ),
    Scene(
        keys="morning mornings dawn sunrise daybreak sunday",
        noun="morning dawn sunrise daylight breakfast window sunday pillow:object",
        adj="early sleepy lazy dewy drowsy",
        verb="wake rise",
        tverb="greet",
    ),
    Scene(
        keys="robot robots machine machines android cyborg computer circuit",
        noun="""robot:person machine:object circuit:object wire:object metal:object
            signal:sound battery:object engine rhythm gear:object screen:light""",
        adj="electric humming rusty metal blinking",
        verb="hum dance beat",
        tverb="play",
    ),
    Scene(
        keys="paris france french eiffel seine",
        noun="""cafe boulevard:surface river bridge tower:place accordion:sound wine
            avenue croissant:food balcony""",
        adj="velvet",
        verb="wander linger",
        tverb="kiss",
    ),
    Scene(
        keys="school class classroom teacher graduation",
        noun="""schoolyard classroom teacher bell hallway desk:object book page friend
            chalk:object locker:object notebook:paper backpack:object diploma:paper
            yearbook:paper recess:time""",
        adj="last early",
        verb="ring laugh chime",
        tverb="remember leave",
    ),
    Scene(
        keys="phone call message screen voicemail",
        noun="phone message:paper screen:light signal:sound voice voicemail:sound",
        adj="broken silent static",
        verb="ring",
        tverb="call break dial",
    ),
    Scene(
        keys="kitchen cooking baking pancakes pancake breakfast sunday",
        noun="kitchen pancake butter honey syrup:food breakfast table radio apron:object",
        adj="sweet sleepy cozy steaming",
        verb="dance laugh",
        tverb="bake share taste knead stir pour",
    ),
    Scene(
        keys="lighthouse keeper lighthouses coast",
        noun="lighthouse beacon lantern keeper tide wave harbor seagull:animal cliff",
        adj="lonely foggy",
        verb="shine wait gleam",
        tverb="light watch keep",
    ),
    Scene(
        keys="desert dune sand cactus",
        noun="desert dune sand:land sky star horizon cactus:plant coyote:animal mirage:light",
        adj="endless dusty",
        verb="shine drift",
        tverb="cross",
    ),
    Scene(
        keys="letter letters mail postcard waiting write",
        noun="letter envelope postcard page mailbox:object stamp:object",
        adj="faded crumpled tattered secret",
        verb="wait",
        tverb="write read open keep fold seal find",
    ),
    Scene(
        keys="heartbreak heartbroken goodbye breakup",
        noun="""heartache goodbye:feeling heart promise photograph tear:precip pillow:object
            voicemail:sound""",
        adj="broken empty",
        verb="cry fade break",
        tverb="forget lose miss",
    ),
    Scene(
        keys="dance dancing dancer floor club disco party",
        noun="floor:surface dancer rhythm light song spotlight:light mirror",
        adj="electric crowded dancing breathless lively glittering",
        verb="dance sway spin twirl",
        tverb="play",
    ),
    Scene(
        keys="garden gardens flowers bloom blossom",
        noun="garden rose petal blossom leaf ivy tulip:plant sunflower:plant fence:place",
        adj="blooming fragrant",
        verb="bloom grow sway blossom",
        tverb="watch plant pick",
    ),
    Scene(
        keys="love romance romantic kiss lover valentine darling",
        noun="""lover darling heart kiss:feeling candlelight:light rose valentine:paper
            locket:object promise""",
        adj="tender breathless secret faithful",
        verb="linger dream sigh tremble",
        tverb="kiss hold embrace cherish",
    ),
    Scene(
        keys="autumn fall october leaves harvest",
        noun="""autumn leaf october:time harvest:time pumpkin:food acorn:object
            scarecrow:person orchard:place""",
        adj="golden bare",
        verb="fall tumble drift",
        tverb="pick",
    ),
    Scene(
        keys="spring april blossom blossoms",
        noun="spring april:time blossom tulip:plant meadow rain",
        adj="blooming fragrant",
        verb="bloom blossom grow",
        tverb="plant pick",
    ),
    Scene(
        keys="dream dreams dreaming sleep sleeping lullaby cradle",
        noun="dream pillow:object lullaby:sound cradle:object moonbeam:light blanket",
        adj="sleepy soft",
        verb="sleep drift",
        tverb="hold",
    ),
    Scene(
        keys="farm country barn field fields tractor",
        noun="barn:room field fence:place tractor:vehicle pickup:vehicle cornfield:area porch",
        adj="dusty muddy golden green",
        verb="roll grow",
        tverb="plant harvest gather",
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
    mercury venus mars jupiter saturn neptune pluto
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
