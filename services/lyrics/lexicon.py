"""The local lyricist's curated lexicon: which words can go with which.

Written for this project (no outside word list), so that lines make sense: every noun
belongs to semantic classes ("train" is a vehicle and a sound source, "platform" a
place), and every adjective, verb and preposition says which classes it suits ("cold"
suits weather, times, places, drinks; "shine" needs a light or a sky body as subject;
"taste" takes food or drink as object; one waits "on" a platform, "under" a moon). A
frame ("the {N} {V} across the {N}") only combines words whose classes agree, which is
what keeps "Our electric storm will pray" out of a song.

Mood tags (``happy sad love angry calm hopeful dark energetic nostalgic``) lean word and
frame choice towards the request's mood; a word tagged with an opposite mood is rarely
used. Every word is in cmudict (a test checks).
"""

from __future__ import annotations

from functools import cache


def _words(text: str) -> list[str]:
    return text.split()


#: Noun classes ("thing" is given to a theme's nouns that the lexicon lacks). "precip"
#: falls (rain, snow); "wind" blows; "storm" roars; "water" flows; "land" lies still;
#: "plant" grows; "celestial" is up in the sky; "paper" can be read; "object" is held;
#: "food" and "drink" are tasted.
NOUN_CLASSES: dict[str, str] = {
    "light": """light lamp lantern candle neon starlight moonlight sunlight daylight
        spark flame fire ember headlight firefly beacon glow torch
        sunbeam moonbeam spotlight flare halo glimmer flash bonfire searchlight
        afterglow""",
    "shine": """light neon starlight moonlight sunlight daylight glow candlelight spotlight""",
    "celestial": """sky moon sun star cloud horizon heaven rainbow comet galaxy
        sunrise sunset planet
        meteor constellation aurora eclipse satellite""",
    "precip": """rain snow hail drizzle snowflake dew sleet shower downpour raindrop flurry""",
    "wind": """wind breeze air gale gust whirlwind""",
    "storm": """storm thunder lightning fog mist smoke blizzard hurricane tempest tornado
        cyclone haze cloudburst squall typhoon""",
    "time": """night morning evening midnight dawn dusk summer winter autumn spring
        today tomorrow yesterday daybreak twilight weekend season sunday holiday
        moment hour afternoon december july daylight sunrise sunset day
        noon nightfall sundown springtime summertime wintertime midsummer""",
    "surface": """street road platform highway bridge floor rooftop avenue stage
        table porch beach pier dock sidewalk square hill shore island coast
        railway runway stairway walkway boardwalk driveway freeway causeway terrace deck
        staircase trail path lane boulevard crosswalk riverbank""",
    "room": """kitchen room town city station hallway cafe diner chapel attic
        classroom house home village subway tunnel market
        cellar bakery gallery studio theater hotel tavern parlor lobby barn
        cabin cottage church arcade bedroom ballroom garage stable farmhouse motel
        saloon museum cathedral palace castle mansion greenhouse workshop""",
    "spot": """window corner crossroad border lighthouse schoolyard
        balcony hometown doorway gate
        archway gateway alleyway alley fountain fence chimney doorstep hearth tower
        steeple""",
    "area": """forest field meadow valley desert garden park prairie canyon orchard vineyard
        jungle wilderness marsh grove woodland pasture countryside backyard playground
        courtyard wasteland bayou""",
    "water": """river ocean sea wave tide stream lake water rapids current harbor bay creek
        brook pond lagoon waterfall canal puddle cove inlet gulf whirlpool waterway
        surf undertow""",
    "land": """mountain forest field meadow valley desert hill canyon dune island
        shore coast prairie cliff
        ridge summit peak plateau volcano glacier highland hillside mountainside moor
        mesa ravine slope tundra hollow""",
    "plant": """tree flower rose leaf grass willow blossom vine garden petal ivy oak pine
        maple birch cedar cypress fern moss clover daisy lily tulip poppy orchid
        lavender heather sunflower dandelion bamboo magnolia jasmine thistle reed
        cactus bud branch bramble hedge wildflower mistletoe""",
    "object": """key coat suitcase bag cup mug guitar radio ring bottle blanket
        pillow umbrella candle phone glass necklace jacket compass shoe wheel
        bracelet chair kettle clock mirror
        locket ribbon scarf hat boot glove quilt basket kite rope feather stone coin
        button thread teacup spoon camera telescope tray""",
    "paper": """ticket letter photograph map book page postcard envelope note diary poem
        recipe photo newspaper calendar journal notebook telegram""",
    "sound": """whistle bell song voice melody chorus engine thunder echo siren
        guitar drum laughter whisper heartbeat rhythm tune piano
        banjo cello violin trumpet lullaby anthem hymn serenade choir footstep chime
        horn flute harp fiddle accordion tambourine""",
    "vehicle": """train car bus boat ship plane truck carriage taxi canoe sleigh bicycle wagon
        tram trolley ferry rowboat sailboat caravan helicopter rocket van""",
    "person": """friend stranger lover mother father brother sister child neighbor
        driver sailor keeper dancer darling baby grandmother teacher
        singer drummer pilot poet traveler wanderer dreamer rider runner soldier bride
        captain gardener baker farmer fisherman hunter painter cousin drifter cowboy
        widow hero fiddler companion sweetheart grandfather""",
    "body": """hand heart face shoulder skin breath smile eye cheek lip hair arm finger knee""",
    "feeling": """love hope fear dream memory promise secret silence wonder freedom
        sorrow courage desire heartache laughter glory
        joy grief longing passion pride regret mercy grace faith bliss peace rage
        comfort""",
    "food": """bread pancake honey sugar butter pie cinnamon breakfast supper
        apple cake cherry
        soup stew cookie biscuit toast cheese jam peach plum pear berry strawberry lemon
        orange melon mango chocolate muffin waffle syrup candy""",
    "drink": """coffee tea wine lemonade whiskey milk cocoa cider champagne juice brandy beer
        espresso""",
    "bird": """bird raven dove sparrow owl crow heron gull swan robin wren lark nightingale
        hawk eagle seagull""",
    "animal": """bird raven dove horse wolf sparrow owl dog cat fox deer swan crow heron gull
        moth bee butterfly lamb hawk eagle robin wren lark nightingale cricket frog
        rabbit whale dolphin kitten pony mouse""",
}

#: Classes of the nouns any song may reach for when its own scenes have none that fits:
#: light, sky, weather, time, water, land, plants.
UNIVERSAL_CLASSES = frozenset(
    _words("light shine celestial precip wind storm time water land plant")
)

#: Kinds of place, each with its own prepositions (on a platform, in a kitchen, at a
#: window, in a forest); each is also a "place".
PLACE_KINDS = frozenset({"surface", "room", "spot", "area"})

#: Nouns said without an article when they stand alone ("rain on the window",
#: "midnight at the station").
_BARE_NOUNS_TEXT = """
    rain snow thunder lightning fog mist smoke night morning evening midnight dawn
    dusk summer winter autumn spring today tomorrow yesterday daybreak twilight
    sunday december july daylight sunrise sunset moonlight starlight sunlight neon
    coffee tea wine lemonade whiskey milk honey sugar cinnamon breakfast supper love
    hope freedom silence wonder laughter glory heaven frost dust sand steam smoke fog
    mist salt heat snowfall sunshine noon nightfall sundown springtime summertime
    wintertime midsummer sleet haze moss clover lavender heather jasmine bamboo joy grief
    longing passion pride regret mercy grace faith bliss peace rage comfort soup stew
    toast cheese jam chocolate syrup candy cocoa cider champagne juice brandy beer
    espresso surf air
"""
BARE_NOUNS = frozenset(_BARE_NOUNS_TEXT.split())

#: Nouns never said with an article ("tomorrow", not "the tomorrow").
BARE_ONLY_NOUNS = frozenset(["today", "tomorrow", "yesterday", "sunday", "july", "december"])

#: Adjective: the noun classes (or single nouns) it suits, then "/" and its mood tags
#: (none = neutral). "+attr": only before a noun ("the last train", never "the train
#: is last").
ADJECTIVES = """
cold: precip wind storm water land object drink body place night evening winter morning / sad dark
warm: wind drink body light food room night summer evening afternoon july / love calm happy
empty: place room vehicle object / sad
golden: light celestial field meadow prairie hour afternoon summer morning leaf / happy hopeful
quiet: place room land water vehicle night evening morning sunday / calm sad
silver: light celestial water object / calm dark
last +attr: vehicle light sound night summer evening hour / sad nostalgic
late +attr: night evening summer autumn hour afternoon vehicle / sad
early +attr: morning dawn spring train bus light / hopeful
distant: light sound celestial land vehicle city shore coast harbor island / nostalgic sad
gentle: precip wind water sound light person / calm love
heavy: precip storm object heart / sad dark
bright: light celestial morning summer afternoon / happy hopeful energetic
broken: object heart promise dream / sad angry
faded: paper object light / nostalgic sad
silent: place room night water land celestial / calm dark
lonely: place room road highway street night person heart / sad
restless: wind water person heart night city / energetic
endless: water land sky road highway night summer / hopeful
wild: wind storm water land animal plant heart / energetic angry
open: road highway sky sea ocean window field / hopeful happy
narrow: street road hallway bridge
crowded: room surface vehicle city / energetic
dusty: place land object paper road / nostalgic
frozen: precip water land night winter / dark sad
sleepy: room town village city animal person morning sunday afternoon / calm
lazy: afternoon sunday summer river / calm happy
sweet: food drink song melody voice tune person / love happy
bitter: drink wind winter / sad angry
soft: precip light sound wind body / calm love
tender: sound body person / love
little +attr: place room object animal person plant / happy
old +attr: place room object paper person vehicle sound / nostalgic
new +attr: morning object / hopeful
young +attr: person / nostalgic hopeful
wooden +attr: table porch bridge floor chair boat pier dock / nostalgic
rusty: vehicle object gate / nostalgic sad
neon +attr: room surface / energetic
electric +attr: light sound guitar / energetic
shining: light celestial water / happy hopeful
burning: light fire / angry energetic
flickering: light / dark
painted +attr: object sky / happy
secret: place room paper / love dark
midnight +attr: vehicle sound room surface / dark
morning +attr: light vehicle sound / hopeful
summer +attr: precip wind night / happy
winter +attr: wind light night morning coat / sad calm
salty: wind water / calm
misty: land water morning / calm dark
stormy: night water sky / dark angry
rainy: night morning afternoon sunday street / sad calm
sunny: morning afternoon sunday street beach / happy
starry +attr: night sky / love calm
pale: light celestial body / sad dark
velvet +attr: night sky / love
crimson: light celestial / love angry
hollow: place room sound / sad dark
familiar: place room sound person / nostalgic love
crooked: place object road street / dark
humming: vehicle object / calm
rolling: vehicle land water / energetic
dancing: light person / happy energetic
roaring: storm water vehicle engine fire / angry energetic
lucky: object person / happy
brave: person heart / hopeful
careless: person / happy
patient: person / calm love
steaming: drink kettle / calm
crumpled: paper / sad
creaking: door floor chair porch gate boat / nostalgic dark
blooming: plant garden meadow / happy hopeful love
sandy: beach shore road / happy calm
frosty: window morning night winter / calm
snowy: place land room night morning / calm
foggy: morning night street harbor / dark sad
smoky: room bar / dark
flooded: street road field / sad
muddy: road field boot / sad
breathless: person / love energetic
reckless: person heart / energetic angry
faraway: city town land shore island / nostalgic
hidden: place paper / dark love
bare: tree branch field / sad
fragrant: plant garden / love calm
blinking: light / energetic
metal +attr: object vehicle / energetic
static: sound radio phone screen / sad
amber +attr: light celestial drink / calm nostalgic
azure: celestial water / calm happy
hazy: light celestial morning afternoon land / calm nostalgic
dim: light room / sad
glowing: light celestial fire / love hopeful
glittering: light water celestial / happy
shadowy: place room land / dark
moonlit +attr: place land water night / love calm
sunlit +attr: place land water room morning / happy hopeful
grey: celestial precip storm morning city street / sad calm
blue: celestial water light / sad calm
green: plant land area / hopeful
scarlet: plant light celestial / love
rosy: celestial light morning body / love happy
tangled: plant hair / dark
tall: plant person tower / hopeful
ancient: land place plant / nostalgic
winding: road street river path trail lane / nostalgic
icy: water wind precip road / dark sad
chilly: wind night morning evening / sad
balmy: wind night evening / calm happy
fragile: object person plant / sad love
sleepless: night person / sad
drowsy: person animal afternoon / calm
gleaming: light water object vehicle / happy
shattered: object heart dream / sad angry
tattered: paper object / sad nostalgic
worn: object paper / nostalgic
whispering: wind plant water / calm love
trembling: person plant light / sad dark
wandering: person animal / nostalgic
peaceful: place land water room / calm
thundering: storm water vehicle / energetic angry
joyful: person sound / happy
mournful: sound person / sad
lonesome: place road person night / sad
weary: person heart / sad
clear: celestial water sound morning / hopeful
bold: person heart / energetic hopeful
shy: person / love
fierce: storm wind animal fire / angry energetic
mellow: sound light evening / calm
sparkling: water light drink / happy
dewy: plant morning land / calm love
emerald +attr: land plant water / hopeful
rugged: land road / energetic
barren: land / sad
crystal +attr: water light precip / calm
lively: place room person / happy energetic
noisy: place room vehicle / energetic
hushed: place room night / calm
cozy: room / calm love
crumbling: place room / sad
loyal: person animal / love
faithful: person animal / love
dreamy: light sound person / love calm
forgotten: place room paper object / sad nostalgic
blazing: fire light celestial / energetic angry
drifting: boat cloud leaf petal snowflake / calm
copper +attr: light object / nostalgic
ragged: paper object person / sad
"""

#: Intransitive verb (base form): the subject classes (or nouns) it suits, "/", mood
#: tags. Flags after the word: "+away" sung with "away" ("fade away"); its manners,
#: which say what may follow it (see ``MANNER_PREPOSITIONS``): "+rest" being somewhere
#: ("wait on the platform"), "+move" going somewhere ("roll across the bridge"),
#: "+sound" sounding somewhere ("the whistle calls across the valley"). A verb with no
#: manner takes no place after it ("the summer ends").
INTRANSITIVE_VERBS = """
shine +rest +move: light celestial water / happy hopeful
glow +rest: light celestial ember fire / love calm
burn +rest: light fire / angry energetic
flicker +rest: light / dark sad
fade +away: light celestial sound time feeling / sad nostalgic
fall +rest +move: precip leaf petal night / sad calm
drift +away +move: precip storm cloud leaf petal boat / calm sad
blow +away +move: wind / calm
roar +sound: storm engine water wolf / angry energetic
rumble +sound +move: train truck engine storm thunder / dark
roll +away +move: train car bus truck carriage taxi wheel storm thunder wave tide / energetic
run +away +move: water person animal / energetic
flow +move: water / calm
rise +move: celestial water person / hopeful
sing +rest: person bird / happy love
ring +sound: bell phone / happy
call +sound: whistle bell voice person bird owl / love sad
echo +sound: sound / nostalgic dark
hum +sound +rest: engine radio guitar machine person kettle / calm
wait +rest: person vehicle / sad love
sleep +rest: person animal city town village house / calm
wake: person city town village animal / hopeful
bloom +rest: plant / hopeful happy love
grow +rest: plant / hopeful
sway +rest: plant dancer person / calm love
dance +rest: person flame candle leaf / happy energetic love
pass +move: vehicle / sad nostalgic
leave: vehicle person / sad
arrive: vehicle person / hopeful
break +rest: wave dawn / sad
cry +rest: person / sad
whisper +rest +sound: wind water person plant / love calm
sigh: wind person / sad calm
steam +rest: drink kettle / calm
wander +move: person animal / nostalgic
stay +rest: person / love
go: person vehicle / sad
come: vehicle person / hopeful
end: time / sad
begin: time / hopeful
melt +away: precip / calm hopeful
sparkle +rest: water light celestial / happy
crash +move: wave storm / angry
hide +away +rest: person celestial animal / dark
smile: person / happy love
laugh +rest: person / happy
fly +away +move: bird sparrow dove raven owl plane / hopeful happy
sail +away +move: boat ship sailor / hopeful
drive +move: person / energetic
walk +move: person / calm
breathe: person / calm
shiver +rest: person / sad dark
scream: person / angry
fight: person / angry
pray +rest: person / sad hopeful
turn: season tide page / nostalgic
linger +rest: person light sound / nostalgic love
whistle +sound: train kettle wind / nostalgic
creak +rest: door floor chair porch gate boat / dark
howl +sound: wind wolf / dark
pour +rest: rain / sad
tumble +move: leaf petal snowflake / calm
gleam +rest: light water celestial / hopeful
rattle +sound +move: train window carriage / energetic
chime +sound: bell clock / happy
crackle +rest: fire campfire ember radio / calm
splash +move: wave water / happy
shimmer +rest: water light celestial / calm love
glide +move: boat bird dancer / calm
soar +move: bird plane / hopeful
race +move: car taxi horse / energetic
twinkle +rest: star light / calm love
blossom +rest: plant / love hopeful
ripple +move: water / calm
beat +rest: heart drum / love energetic
flutter +move: bird butterfly moth leaf petal / happy love
hover +rest: bird celestial / calm
circle +move: bird plane / calm
graze +rest: horse deer lamb pony / calm
gallop +move: horse pony / energetic
swim +move: person animal / happy
wade +move: person / calm
stroll +move: person / calm
roam +move: person animal / nostalgic
stumble +move: person / sad
kneel +rest: person / sad
rest +rest: person animal / calm
dream +rest: person / love nostalgic
flare: light fire / angry
blaze +rest: fire light / energetic angry
smolder: fire ember / dark
drip +rest: precip water / sad
trickle +move: water precip / calm
rush +move: water wind vehicle person / energetic
swirl +move: precip wind water leaf / energetic
tremble +rest: person plant / dark
rustle +rest: plant wind / calm
murmur +sound: water wind person / calm
wail +sound: wind siren person / sad
buzz +rest: bee light neon / energetic
chirp +rest: bird cricket / happy
twirl +rest: person dancer leaf / happy
spin +rest: person dancer wheel / energetic
leap +move: person animal / energetic
sink +move: celestial boat / sad
float +away +move: cloud boat leaf petal feather / calm
wilt: plant / sad
glisten +rest: water light precip / love
dazzle: light / happy
vanish: light celestial person / sad
return: person vehicle time / hopeful
travel +move: person vehicle / hopeful
hurry +move: person vehicle / energetic
scatter: plant paper / calm
"""

#: Transitive verb (base form), said by a person: the object classes it takes, "/",
#: mood tags. "+me": also takes a person ("take me to the sea", "hold me"), then a
#: place of its manners ("+rest": "hold me in the kitchen"; "+move": "take me across
#: the river").
TRANSITIVE_VERBS = """
hold +me +rest: object person body paper / love sad
keep: object paper feeling thing / nostalgic love
carry +me +move: object paper feeling / nostalgic
miss: person place room summer winter autumn spring morning sunday thing / sad nostalgic
remember: person place time paper sound food feeling thing / nostalgic sad
watch: light celestial precip storm water vehicle person / calm
hear: sound person storm water vehicle animal wind / nostalgic
see: light celestial water vehicle person place land thing / hopeful
chase: light celestial vehicle feeling / energetic hopeful
follow +me +move: light celestial river road highway street track person / hopeful
find +me +rest: object paper person place feeling thing / hopeful
lose: object paper person feeling thing / sad
leave: place person object / sad
catch: vehicle light precip / energetic
taste: food drink precip / happy love
pour: drink / calm
share: food drink feeling / love happy
cross: water land surface / hopeful
ride: vehicle wind / energetic
light: candle lantern fire lamp torch / hopeful
call +me: person / love
kiss +me +rest: person / love
love +me: person place time thing / love
trust: person / love
need +me: person feeling drink thing / love sad
greet: person morning dawn sunrise spring / happy hopeful
face: storm night winter person / hopeful angry
paint: celestial town city / happy
feel: precip wind storm light feeling / love
forget: person place time paper / sad angry
fight: storm feeling person / angry
break: promise silence heart / angry sad
save +me: object person / hopeful
drink: drink / sad
bake: bread pie cake pancake / happy
read: paper / nostalgic
write: letter note page postcard song / love nostalgic
open: paper window door envelope / hopeful
take +me +move: object paper / love
bring +me +move: object paper food / love
lead +me +move: person / hopeful
meet +me +rest: person / love hopeful
walk +me +move: road street avenue highway / love
wake +me: person / hopeful
sing: song melody chorus tune / happy
play: guitar piano drum song melody tune radio / happy energetic
board: train bus ship plane / hopeful
fold: paper map / nostalgic
stir: drink / calm
brew: coffee tea / calm
sip: drink / calm
count: star ticket / calm
climb: mountain hill tree stairs / hopeful
plant: tree flower rose seed / hopeful
pick: flower rose apple cherry / happy
dial: phone / sad
seal: envelope letter / love
tune: guitar radio piano / calm
strum: guitar / happy
build: fire campfire house / hopeful
wrap: blanket coat scarf / love calm
sweep: floor porch / calm
knead: bread / calm
gather: flower rose leaf petal blossom wildflower seashell pebble driftwood paper food / calm
cherish: person feeling paper / love
embrace +me: person / love
welcome: person morning dawn spring / hopeful
borrow: object paper / nostalgic
mend: object heart / hopeful
shelter +me: person animal / love
hum: song melody tune lullaby / calm
admire: light celestial person plant / love
sketch: place celestial person / calm
harvest: food apple cherry berry plum pear peach honey / happy
savor: food drink / happy
visit: place person room / nostalgic
"""


#: The prepositions of each manner (see ``INTRANSITIVE_VERBS``); a place with no verb
#: before it ("there's a light in the window") is one of being somewhere ("rest").
MANNER_PREPOSITIONS: dict[str, frozenset[str]] = {
    "rest": frozenset(
        ["in", "at", "on", "by", "beside", "under", "beneath", "inside", "outside", "with"]
    ),
    "move": frozenset(
        ["through", "across", "along", "over", "into", "past", "toward", "to", "beyond"]
    ),
    "sound": frozenset(["through", "across", "over", "in"]),
}
#: Manners in the order a clause tries them, and how often each is drawn first.
MANNERS: dict[str, float] = {"rest": 0.5, "move": 0.4, "sound": 0.1}

#: Prepositions that may stand before a noun of each class ("city": a place name such as
#: "Paris", "name": any other name, a person's or a place's).
PREPOSITIONS: dict[str, str] = {
    "city": "in to through",
    "name": "to with",
    "place": "by beside",
    "surface": "on along across",
    "room": "in through inside outside",
    "spot": "at by beside",
    "area": "in through across",
    "light": "by",
    "shine": "in",
    "celestial": "under beneath beyond across",
    "precip": "in through under",
    "wind": "in through against",
    "storm": "in through into",
    "water": "by across over along into beside",
    "land": "over across beyond along",
    "plant": "under beneath by",
    "vehicle": "on in beside",
    "object": "with beside",
    "paper": "with",
    "person": "with beside",
    "thing": "with beside",
}

#: How a time is placed: per time noun, its prepositions, each with "the" or without
#: ("through the night", "at midnight", "till morning"). A time noun missing here is
#: never put after a preposition. Said with "the", an adjective may come between.
TIME_PREPOSITIONS: dict[str, str] = {
    "night": "through_the into_the in_the",
    "morning": "in_the till",
    "evening": "in_the",
    "midnight": "at past till after",
    "dawn": "at till before",
    "dusk": "at till",
    "twilight": "in_the",
    "daybreak": "at till",
    "sunrise": "at till",
    "sunset": "at after",
    "afternoon": "in_the",
    "day": "through_the",
    "summer": "in_the through_the",
    "winter": "in_the through_the",
    "autumn": "in_the",
    "spring": "in_the",
    "tomorrow": "till",
    "sunday": "on",
    "december": "in",
    "july": "in",
    "weekend": "on_the",
    "season": "through_the",
    "hour": "in_the",
    "daylight": "in_the",
    "noon": "at till after",
    "nightfall": "at till after",
    "sundown": "at till after",
    "springtime": "in",
    "summertime": "in",
    "wintertime": "in",
    "midsummer": "in",
}

#: Nouns never sung in the plural: one's own kin ("my mother", not "my mothers").
SINGULAR_ONLY_NOUNS = frozenset(
    _words(
        """mother father grandmother grandfather brother sister lover darling baby keeper
        sweetheart"""
    )
)
#: Plurals that do not follow the spelling rules of ``plural``.
_IRREGULAR_PLURALS = {
    "leaf": "leaves", "child": "children", "wolf": "wolves", "shelf": "shelves",
    "knife": "knives", "man": "men", "woman": "women", "foot": "feet", "mouse": "mice",
    "tooth": "teeth", "goose": "geese", "life": "lives", "thief": "thieves",
    "deer": "deer", "fisherman": "fishermen",
}  # fmt: skip

#: Determiners that may stand before a noun of each class, or a single noun (besides
#: "the"): one's own home, kitchen or window, not one's own subway.
DETERMINERS: dict[str, str] = {
    "place": "this that",
    "surface": "this that",
    "room": "this",
    "spot": "this",
    "home": "my your our",
    "kitchen": "my your our",
    "house": "my your our",
    "hometown": "my your our",
    "window": "my your",
    "doorway": "my your",
    "garden": "my your our",
    "town": "our",
    "city": "our",
    "street": "our",
    "time": "this that",
    "object": "my your this",
    "paper": "my your this",
    "person": "my your",
    "body": "my your",
    "vehicle": "this that",
    "feeling": "my your our",
    "food": "your our",
    "drink": "my your",
    "sound": "your",
    "light": "this",
    "water": "that",
}

#: Mood names, and the words of a request (mood, genre, theme) that switch them on.
MOOD_KEYS: dict[str, str] = {
    "happy": "happy joy joyful upbeat cheerful fun bright sunny pop playful",
    "sad": """sad sadness melancholy melancholic heartbroken heartbreak grief lonely
        blue blues sorrow mournful ballad losing loss""",
    "love": "love romantic romance tender longing crush passion passionate soul",
    "angry": "angry anger rage defiant furious rebel punk metal fight mad bad",
    "calm": "calm peaceful chill relaxed serene gentle quiet lullaby ambient jazz",
    "hopeful": "hopeful hope uplifting inspiring inspirational gospel triumphant dawn",
    "dark": "dark mysterious eerie haunting gothic spooky ominous storm",
    "energetic": """energetic energy party excited dance edm electronic club hype rock
        disco dancing""",
    "nostalgic": """nostalgic nostalgia wistful memories reminiscent old country folk
        leaving hometown""",
}

#: Moods that rarely share words or frames.
OPPOSITE_MOODS: dict[str, frozenset[str]] = {
    "happy": frozenset({"sad", "dark", "angry"}),
    "sad": frozenset({"happy", "energetic"}),
    "love": frozenset({"angry"}),
    "angry": frozenset({"calm", "love"}),
    "calm": frozenset({"angry", "energetic"}),
    "hopeful": frozenset({"dark", "sad"}),
    "dark": frozenset({"happy", "hopeful"}),
    "energetic": frozenset({"calm", "sad"}),
    "nostalgic": frozenset(),
}

#: Endings that need no vowel change or "e" handling when inflected.
_IRREGULAR_THIRD_PERSON = {"go": "goes", "do": "does", "have": "has", "cry": "cries"}


@cache
def parse_entries(text: str) -> dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]]:
    """``word [+flag]: classes / moods`` lines -> word: (classes, moods, flags)."""
    entries: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {}
    for line in text.strip().splitlines():
        head, _, rest = line.partition(":")
        classes, _, moods = rest.partition("/")
        word, *flags = head.split()
        entries[word] = (
            frozenset(classes.split()),
            frozenset(moods.split()),
            frozenset(flag.lstrip("+") for flag in flags),
        )
    return entries


@cache
def noun_classes() -> dict[str, frozenset[str]]:
    """Every noun of the lexicon and its classes."""
    classes: dict[str, set[str]] = {}
    for name, words in NOUN_CLASSES.items():
        for word in words.split():
            classes.setdefault(word, set()).add(name)
            if name in PLACE_KINDS:
                classes[word].add("place")
    return {word: frozenset(found) for word, found in classes.items()}


def plural(noun: str) -> str:
    """The plural by spelling ("train" -> "trains", "city" -> "cities", "leaf" -> "leaves")."""
    if noun in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[noun]
    if noun.endswith(("s", "sh", "ch", "x", "z")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def third_person(verb: str) -> str:
    """The present tense after "he/she/it" ("fade" -> "fades", "cry" -> "cries")."""
    if verb in _IRREGULAR_THIRD_PERSON:
        return _IRREGULAR_THIRD_PERSON[verb]
    if verb.endswith(("s", "sh", "ch", "x", "z")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def gerund(verb: str) -> str:
    """The "-ing" form ("fade" -> "fading", "run" -> "running", "lie" -> "lying")."""
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        return verb[:-1] + "ing"
    if (
        len(verb) >= 3
        and verb[-1] not in "aeiouwxy"
        and verb[-2] in "aeiou"
        and verb[-3] not in "aeiou"
        and verb in _DOUBLED_FINAL_CONSONANT
    ):
        return verb + verb[-1] + "ing"
    return verb + "ing"


#: One-syllable verbs (and a few stressed on the last syllable) that double their last
#: consonant before "-ing" ("run" -> "running"); others do not ("open" -> "opening").
_DOUBLED_FINAL_CONSONANT = frozenset(
    ["run", "swim", "spin", "hum", "sit", "stop", "drop", "plan", "shop", "begin", "forget"]
)

#: The function words (everything else is a content word): articles, pronouns,
#: prepositions, auxiliaries (with their contractions and negations) and
#: conjunctions. The bench's variety figures count only the other words.
GRAMMAR_WORD_CLASSES: dict[str, str] = {
    "articles": "a an the",
    "pronouns": """i me my mine myself you your yours yourself we us our ours ourselves
        he him his she her hers it its they them their theirs this that these those
        who whom whose what which there all nothing something everything anything
        someone everyone nobody""",
    "prepositions": """of to in on at by for from with into onto through across along
        beneath under over beyond behind beside inside outside above below around
        against among till until after before since about up down off out near
        toward upon within without past like between during""",
    "auxiliaries": """is am are was were be been being do does did done has have had
        can could will would shall should may might must i'm you're we're they're
        he's she's it's there's that's i'll you'll we'll i've you've we've i'd you'd
        can't won't don't doesn't didn't isn't aren't wasn't weren't couldn't
        wouldn't shouldn't let's not""",
    "conjunctions": "and or but nor so yet if when while as than because though where",
}
GRAMMAR_WORDS = frozenset(word for words in GRAMMAR_WORD_CLASSES.values() for word in words.split())
