"""The workshop's example prompts, verbatim where the workshop had them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PromptPreset:
    name: str
    prompt: str
    negative: str = ""


GENERATION_PRESETS: tuple[PromptPreset, ...] = (
    PromptPreset("Robot and cowboy (daguerreotype)",
                 "daguerreotype of robot and cowboy standing side-by-side, directly facing the camera, steampunk, "
                 "western town in the background, long shot, sepia tone"),
    PromptPreset("Calico cat (cyberpunk)",
                 "photograph of a calico cat, cyberpunk, futuristic cityscape in the background, low angle, long "
                 "shot, neon sign on building \"CALICO CORP\", Epic, photorealistic, 4K"),
    PromptPreset("Build-up 1 — subject", "A doctor"),
    PromptPreset("Build-up 2 — + medium", "Painting of a doctor"),
    PromptPreset("Build-up 3 — + style", "Painting of a doctor, Impressionist style"),
    PromptPreset("Build-up 4 — + shot", "Painting of a doctor, Impressionist style, low-angle shot"),
    PromptPreset("Build-up 5 — + light", "Painting of a doctor, Impressionist style, low-angle shot, dim lighting"),
    PromptPreset("Build-up 6 — + colour",
                 "Painting of a doctor, Impressionist style, low-angle shot, dim lighting, blue and purple color "
                 "scheme"),
    PromptPreset("Build-up 7 — + negative prompt",
                 "Painting of a doctor, Impressionist style, low-angle shot, dim lighting, blue and purple color "
                 "scheme", "Stethoscope"),
    PromptPreset("Build-up 8 — + text in the image",
                 "Painting of a doctor, Impressionist style, low-angle shot, dim lighting, blue and purple color "
                 "scheme, sign reading \"The Doctor is in\"", "Stethoscope"),
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
    "A car on a brick road.",
    "The same scene as a watercolor painting",
    "The same scene at night, lit by street lamps",
    "The same subject in a snowy landscape",
)

PROMPT_TIPS = (
    "Describe what you want to see, not what you don't: put unwanted things in the negative prompt, "
    "without words like “no” (write “mirrors”, not “no mirrors”).",
    "Build a prompt up: subject, medium, style, shot, light, colour.",
    "Text in the image goes in double quotes, and may come out misspelt.",
)

# Lab 4: example prompts for the sample photos (the workshop's ran on a desk photo no package ships).
MASKING_EXAMPLES: tuple[str, ...] = (
    "A cup of green tea",
    "A cup of coffee on a table in a cozy living room",
    "A house at the beach",
    "A blue car",
    "A bowl of fruit on a wooden table",
)

# Lab 5: the workshop used "Pink curtains" → "Green curtains" on a living-room photo and suggested removing
# "lamp" or "table". No sample shows a living room; these name things the sample photos do show.
REPLACE_DEFAULT_OBJECT = "coffee cup"
REPLACE_DEFAULT_WITH = "a cup of green tea"
REPLACE_DEFAULT_SAMPLE = "coffee"
RECOLOR_DEFAULT_COLOURS = "glossy bright red"  # lab 5's recolour: the object's new colours
REPLACE_SUGGESTIONS: tuple[str, ...] = ("spoon", "red car", "no entry sign", "newspaper box")

# Lab 6: the workshop's defaults (its photo was a house with a car), and the rewrite its notes recommend when
# the model refuses them.
BACKGROUND_DEFAULT_OBJECT = "A car"
BACKGROUND_DEFAULT_SCENE = "Car at the beach"
BACKGROUND_DEFAULT_SAMPLE = "gallery_street"
BACKGROUND_REWRITE = ("House", "House at a beach")

# Lab 7: prompts for a placed rectangle of a sample photo (some are the workshop's, moved off its desk).
INSERTION_PROMPTS: tuple[str, ...] = (
    "A cup of green tea",
    "A small silver fork",
    "A pile of papers",
    "A sleeping cat",
    "A painting of a Spanish galleon in rough seas",
    "A blue bicycle",
    "A round stained-glass window",
    "A flock of birds",
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

# Lab 9: the workshop's suggested prompts and one-click images (ours come from the sample photos).
CHAT_SUGGESTIONS: tuple[str, ...] = ("Compare the two images:", "Which one is larger?", "Which one looks more fun?",
                                     "What color is the car?")
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


def photo_for(text: str) -> PhotoMatch | None:
    """The sample photo a suggestion is meant for, if it names something in one."""
    return PHOTO_MATCHES.get(text)
