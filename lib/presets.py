"""The workshop's example prompts, verbatim where the workshop had them, each in English and in Korean.

Labs 2-7's and lab 9's examples are the workshop's English, marked with N_(): their Korean is the catalog's
translation (locales/ko), offered beside the English (`in_language`, `both_languages`). What is sent is the text the
attendee picked or typed, in either language; a model that reads English only says so next to the prompt
(lib/ui/prompt_language.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.i18n import LANGUAGES, N_, current_language, translate


def in_language(text: str, lang: str) -> str:
    """An example (marked with N_() here) in `lang`: the English itself, or its Korean from the catalog."""
    return translate(text, lang) if text else text


def both_languages(examples: tuple[str, ...]) -> tuple[str, ...]:
    """Each example in English and in Korean, the session's language first; the English when it has no other."""
    first = current_language()
    order = [first] + [lang for lang in LANGUAGES if lang != first]
    shown: list[str] = []
    for text in examples:
        for lang in order:
            said = in_language(text, lang)
            if said not in shown:
                shown.append(said)
    return tuple(shown)


def english_of(text: str) -> str:
    """The English example a shown example is (itself when it is English or no example at all)."""
    if text in PHOTO_MATCHES or text in ENGLISH_EXAMPLES:
        return text
    for english in (*PHOTO_MATCHES, *ENGLISH_EXAMPLES):
        if any(in_language(english, lang) == text for lang in LANGUAGES):
            return english
    return text


@dataclass(frozen=True)
class PromptPreset:
    name: str  # marked with N_(): shown translated
    prompt: str  # the workshop's English, marked: `prompt_in("ko")` is its Korean
    negative: str = ""

    def prompt_in(self, lang: str) -> str:
        return in_language(self.prompt, lang)

    def negative_in(self, lang: str) -> str:
        return in_language(self.negative, lang)


GENERATION_PRESETS: tuple[PromptPreset, ...] = (
    PromptPreset(N_("Robot and cowboy (daguerreotype)"),
                 N_("daguerreotype of robot and cowboy standing side-by-side, directly facing the camera, steampunk, "
                    "western town in the background, long shot, sepia tone")),
    PromptPreset(N_("Calico cat (cyberpunk)"),
                 N_("photograph of a calico cat, cyberpunk, futuristic cityscape in the background, low angle, long "
                    "shot, neon sign on building \"CALICO CORP\", Epic, photorealistic, 4K")),
    PromptPreset(N_("Build-up 1 — subject"), N_("A doctor")),
    PromptPreset(N_("Build-up 2 — + medium"), N_("Painting of a doctor")),
    PromptPreset(N_("Build-up 3 — + style"), N_("Painting of a doctor, Impressionist style")),
    PromptPreset(N_("Build-up 4 — + shot"), N_("Painting of a doctor, Impressionist style, low-angle shot")),
    PromptPreset(N_("Build-up 5 — + light"),
                 N_("Painting of a doctor, Impressionist style, low-angle shot, dim lighting")),
    PromptPreset(N_("Build-up 6 — + colour"),
                 N_("Painting of a doctor, Impressionist style, low-angle shot, dim lighting, blue and purple color "
                    "scheme")),
    PromptPreset(N_("Build-up 7 — + negative prompt"),
                 N_("Painting of a doctor, Impressionist style, low-angle shot, dim lighting, blue and purple color "
                    "scheme"), N_("Stethoscope")),
    PromptPreset(N_("Build-up 8 — + text in the image"),
                 N_("Painting of a doctor, Impressionist style, low-angle shot, dim lighting, blue and purple color "
                    "scheme, sign reading \"The Doctor is in\""), N_("Stethoscope")),
)

@dataclass(frozen=True)
class PhotoMatch:
    """The sample photo a default or suggestion is meant for, and what in that photo it names.

    `shows` are subjects from images/manifest.json (each must be in the photo's list); `area` is instead a
    named rectangle of images/mask_presets.json (lab 7's prompts fill a placed area). tests/test_lab_defaults.py
    checks every lab's defaults and suggestions against this table.
    """

    sample: str
    shows: tuple[str, ...] = ()
    area: str = ""


# Suggestions that fit any photo (they name nothing in it).
ANY_PHOTO: frozenset[str] = frozenset({
    "The same scene as a watercolor painting", "The same scene at night, lit by street lamps",
    "The same subject in a snowy landscape", "Compare the two images:", "Which one is larger?",
    "Which one looks more fun?",
})

# Lab 3: the workshop's variation prompt (it was written for a photo of a car) and prompts for any photo.
VARIATION_PROMPTS: tuple[str, ...] = (
    N_("A car on a brick road."),
    N_("The same scene as a watercolor painting"),
    N_("The same scene at night, lit by street lamps"),
    N_("The same subject in a snowy landscape"),
)

PROMPT_TIPS = (
    N_("Describe what you want to see, not what you don't: put unwanted things in the negative prompt, "
       "without words like “no” (write “mirrors”, not “no mirrors”)."),
    N_("Build a prompt up: subject, medium, style, shot, light, colour."),
    N_("Text in the image goes in double quotes, and may come out misspelt."),
)

# Lab 4: example prompts for the sample photos (the workshop's ran on a desk photo no package ships).
MASKING_EXAMPLES: tuple[str, ...] = (
    N_("A cup of green tea"),
    N_("A cup of coffee on a table in a cozy living room"),
    N_("A house at the beach"),
    N_("A blue car"),
    N_("A bowl of fruit on a wooden table"),
)

# Lab 5: the workshop used "Pink curtains" → "Green curtains" on a living-room photo and suggested removing
# "lamp" or "table". No sample shows a living room; these name things the sample photos do show.
REPLACE_DEFAULT_OBJECT = N_("coffee cup")
REPLACE_DEFAULT_WITH = N_("a cup of green tea")
REPLACE_DEFAULT_SAMPLE = "coffee"
RECOLOR_DEFAULT_COLOURS = N_("glossy bright red")  # lab 5's recolour: the object's new colours
REPLACE_SUGGESTIONS: tuple[str, ...] = (N_("spoon"), N_("red car"), N_("no entry sign"), N_("newspaper box"))

# Lab 6: the workshop's defaults (its photo was a house with a car), and the rewrite its notes recommend when
# the model refuses them.
BACKGROUND_DEFAULT_OBJECT = N_("A car")
BACKGROUND_DEFAULT_SCENE = N_("Car at the beach")
BACKGROUND_DEFAULT_SAMPLE = "gallery_street"
BACKGROUND_REWRITE = (N_("House"), N_("House at a beach"))

# Lab 7: prompts for a placed rectangle of a sample photo (some are the workshop's, moved off its desk).
INSERTION_PROMPTS: tuple[str, ...] = (
    N_("A cup of green tea"),
    N_("A small silver fork"),
    N_("A pile of papers"),
    N_("A sleeping cat"),
    N_("A painting of a Spanish galleon in rough seas"),
    N_("A blue bicycle"),
    N_("A round stained-glass window"),
    N_("A flock of birds"),
)

# Lab 8: sample photos that suit the presets that need something in the photo.
UNDERSTANDING_SAMPLES: dict[str, tuple[str, ...]] = {
    "Image classification": ("fruits", "astronaut", "gallery_street"),
    "Object recognition": ("coffee", "gallery_street", "fruits"),
    "Answering questions": ("astronaut", "grace_hopper", "parking_notice"),
    "Transcribing text": ("road_sign", "parking_notice", "page"),
    "Translating text": ("road_sign", "parking_notice"),
}
UNDERSTANDING_NEEDS: dict[str, str] = {  # what the preset's prompt asks about, as a manifest subject
    "Answering questions": "people", "Transcribing text": "text", "Translating text": "text",
}

# Lab 9: the workshop's suggested prompts (offered in English and in Korean) and one-click images (ours come from
# the sample photos).
CHAT_SUGGESTIONS: tuple[str, ...] = (N_("Compare the two images:"), N_("Which one is larger?"),
                                     N_("Which one looks more fun?"), N_("What color is the car?"))
CHAT_SAMPLE_IDS: tuple[str, ...] = ("chelsea", "coffee", "rocket", "gallery_street")

# Lab 1: suggested searches, offered as one-click chips (the workshop's, where a sample photo matches).
SEARCH_SUGGESTIONS: tuple[str, ...] = ("Cat", "People", "House", "Car and house", "Fruit", "Coffee", "Flower",
                                       "Road sign", "Rocket launch", "Galaxies")

# Every default and suggestion above that names something → the photo that shows it.
PHOTO_MATCHES: dict[str, PhotoMatch] = {
    # lab 1
    "Cat": PhotoMatch("chelsea", ("cat",)), "People": PhotoMatch("parking_notice", ("people",)),
    "House": PhotoMatch("brick_house", ("house",)), "Car and house": PhotoMatch("gallery_street", ("car", "house")),
    "Fruit": PhotoMatch("fruits", ("fruit",)), "Coffee": PhotoMatch("coffee", ("coffee",)),
    "Flower": PhotoMatch("flower", ("flower",)), "Road sign": PhotoMatch("road_sign", ("road sign",)),
    "Rocket launch": PhotoMatch("rocket", ("rocket launch",)), "Galaxies": PhotoMatch("hubble", ("galaxies",)),
    # lab 3
    "A car on a brick road.": PhotoMatch("gallery_street", ("car",)),
    # lab 4
    "A cup of green tea": PhotoMatch("coffee", ("cup",), area="Cup of coffee"),
    "A cup of coffee on a table in a cozy living room": PhotoMatch("coffee", ("cup", "coffee"), area="Cup of coffee"),
    "A house at the beach": PhotoMatch("brick_house", ("house",)),
    "A blue car": PhotoMatch("gallery_street", ("car",), area="Red car"),
    "A bowl of fruit on a wooden table": PhotoMatch("fruits", ("fruit",)),
    # lab 5
    REPLACE_DEFAULT_OBJECT: PhotoMatch(REPLACE_DEFAULT_SAMPLE, ("coffee cup",)),
    REPLACE_DEFAULT_WITH: PhotoMatch(REPLACE_DEFAULT_SAMPLE, ("cup",)),
    "spoon": PhotoMatch("coffee", ("spoon",)), "red car": PhotoMatch("gallery_street", ("red car",)),
    "no entry sign": PhotoMatch("gallery_street", ("no entry sign",)),
    "newspaper box": PhotoMatch("parking_notice", ("newspaper box",)),
    # lab 6
    BACKGROUND_DEFAULT_OBJECT: PhotoMatch(BACKGROUND_DEFAULT_SAMPLE, ("car",)),
    BACKGROUND_DEFAULT_SCENE: PhotoMatch(BACKGROUND_DEFAULT_SAMPLE, ("car",)),
    BACKGROUND_REWRITE[0]: PhotoMatch("brick_house", ("house",)),
    BACKGROUND_REWRITE[1]: PhotoMatch("brick_house", ("house",)),
    # lab 7 (the area each prompt is meant to fill)
    "A small silver fork": PhotoMatch("coffee", area="Spoon"),
    "A pile of papers": PhotoMatch("coffee", area="Table on the left"),
    "A sleeping cat": PhotoMatch("coffee", area="Table on the left"),
    "A painting of a Spanish galleon in rough seas": PhotoMatch("gallery_street", area="Hanging sign"),
    "A blue bicycle": PhotoMatch("gallery_street", area="Red car"),
    "A round stained-glass window": PhotoMatch("brick_house", area="Window"),
    "A flock of birds": PhotoMatch("brick_house", area="Sky"),
    # lab 9
    "What color is the car?": PhotoMatch("gallery_street", ("car",)),
}


# Labs 2-7's and lab 9's examples that name no photo (their Korean is found by `english_of` too).
ENGLISH_EXAMPLES: frozenset[str] = frozenset({
    *(p.prompt for p in GENERATION_PRESETS), *(p.negative for p in GENERATION_PRESETS if p.negative),
    *VARIATION_PROMPTS, *MASKING_EXAMPLES, *INSERTION_PROMPTS, *REPLACE_SUGGESTIONS, REPLACE_DEFAULT_OBJECT,
    REPLACE_DEFAULT_WITH, RECOLOR_DEFAULT_COLOURS, BACKGROUND_DEFAULT_OBJECT, BACKGROUND_DEFAULT_SCENE,
    *BACKGROUND_REWRITE, *CHAT_SUGGESTIONS,
})


def photo_for(text: str) -> PhotoMatch | None:
    """The sample photo a suggestion is meant for, if it names something in one (in English or in Korean)."""
    return PHOTO_MATCHES.get(text) or PHOTO_MATCHES.get(english_of(text))
