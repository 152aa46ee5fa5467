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

# Lab 4: the workshop's example runs (on its desk photo; they read well on any room or table photo).
MASKING_EXAMPLES: tuple[str, ...] = (
    "Framed photographs over a desk, with a stool under the desk",
    "A cozy living room",
    "embedded fireplace",
    "living room",
)

# Lab 5: the workshop used "Pink curtains" → "Green curtains" on a living-room photo and suggested
# removing "lamp" or "table". Our default photo is the coffee cup.
REPLACE_DEFAULT_OBJECT = "coffee cup"
REPLACE_DEFAULT_WITH = "a cup of green tea"
REPLACE_SUGGESTIONS: tuple[str, ...] = ("lamp", "table", "Pink curtains", "spoon")

# Lab 6: the workshop's defaults, and the rewrite its notes recommend when the model refuses them.
BACKGROUND_DEFAULT_OBJECT = "A car"
BACKGROUND_DEFAULT_SCENE = "Car at the beach"
BACKGROUND_REWRITE = ("House", "House at a beach")

# Lab 7: the workshop's prompts per placement.
INSERTION_PROMPTS: tuple[str, ...] = (
    "A painting of a Spanish galleon in rough seas",
    "Framed family photographs",
    "writing instruments",
    "A hutch",
    "A pile of papers",
    "a stool",
    "A sleeping cat",
)

# Lab 9: the workshop's suggested prompts and one-click images (ours come from the sample photos).
CHAT_SUGGESTIONS: tuple[str, ...] = ("Compare the two images:", "Which one is larger?", "Which one looks more fun?",
                                     "What color is the car?")
CHAT_SAMPLE_IDS: tuple[str, ...] = ("chelsea", "coffee", "rocket", "astronaut")

# Lab 1: the workshop's suggested searches, offered as one-click chips.
SEARCH_SUGGESTIONS: tuple[str, ...] = ("Cat", "Two cats", "People", "House", "Car and house", "Tacos",
                                       "Italian food", "Bedroom", "Living room", "Miniature", "Christmas")
