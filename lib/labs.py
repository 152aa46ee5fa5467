"""The labs that exist, in one list: app.py builds navigation and the home page from it.

Only labs that work are listed; a lab is added here in the same change that adds its page.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.i18n import N_, _


@dataclass(frozen=True)
class LabPage:
    number: int | None  # None for tools such as History
    name: str  # in English, marked for the catalog: `title` is the name in the session's language
    page: str  # path relative to the project root
    icon: str
    about: str  # in English, marked for the catalog: `summary` is it in the session's language
    url_path: str
    input_key: str | None = None  # the page's image-input widget key, for "send to this lab"
    instructor_only: bool = False  # hidden from attendees' menu; its page refuses them politely

    @property
    def key(self) -> str:
        """Prefix for the page's session-state keys and its history label ("lab2")."""
        return f"lab{self.number}" if self.number else self.url_path

    @property
    def title(self) -> str:
        return _(self.name)

    @property
    def summary(self) -> str:
        return _(self.about)

    @property
    def nav_title(self) -> str:
        return _("{number}. {title}").format(number=self.number, title=self.title) if self.number else self.title


LABS: tuple[LabPage, ...] = (
    LabPage(1, N_("Image search"), "pages/1_image_search.py", ":material/image_search:",
            N_("Index photos once with multimodal embeddings and FAISS; search by text, by image, or both."),
            "image-search", input_key="lab1_input"),
    LabPage(2, N_("Image generation"), "pages/2_image_generation.py", ":material/brush:",
            N_("Turn a prompt (and a negative prompt) into images; compare models, seeds and costs."),
            "image-generation"),
    LabPage(3, N_("Image variation"), "pages/3_image_variation.py", ":material/auto_awesome_motion:",
            N_("Make new images that stay close to one or more input images."), "image-variation",
            input_key="lab3_input"),
    LabPage(4, N_("Masking"), "pages/4_masking.py", ":material/layers:",
            N_("Mask image vs mask prompt, inpainting vs outpainting — see what will be repainted before you "
               "call."), "masking", input_key="lab4_input"),
    LabPage(5, N_("Replace or remove an object"), "pages/5_replace_object.py", ":material/find_replace:",
            N_("Name an object and what to put there instead; leave it empty to remove the object."),
            "replace-object", input_key="lab5_input"),
    LabPage(6, N_("Replace the background"), "pages/6_replace_background.py", ":material/landscape:",
            N_("Keep an object, describe a new scene around it; compare DEFAULT and PRECISE outpainting."),
            "replace-background", input_key="lab6_input"),
    LabPage(7, N_("Inpainting with your own mask"), "pages/7_inpainting.py", ":material/draw:",
            N_("Draw or place a mask and fill it from a prompt — or leave the prompt empty to erase."),
            "inpainting", input_key="lab7_input"),
    LabPage(8, N_("Image understanding"), "pages/8_image_understanding.py", ":material/visibility:",
            N_("Ask a vision model about an image: the workshop's nine prompts, or your own in any language."),
            "image-understanding", input_key="lab8_input"),
    LabPage(9, N_("Multimodal chatbot"), "pages/9_multimodal_chatbot.py", ":material/forum:",
            N_("Chat about several images at once, compare them, and keep the conversation."), "multimodal-chatbot",
            input_key="lab9_attach"),
)

TOOLS: tuple[LabPage, ...] = (
    LabPage(None, N_("History"), "pages/history.py", ":material/history:",
            N_("Every result with its request, seed, time and cost: reopen, download, reuse."), "history"),
    LabPage(None, N_("Instructor"), "pages/instructor.py", ":material/school:",
            N_("Before class: can this account run each lab? During class: activity, spend, caps and a pause "
               "switch; results packs to replay elsewhere."), "instructor", instructor_only=True),
)


def lab(number: int) -> LabPage:
    return next(item for item in LABS if item.number == number)


def lab_for_key(key: str) -> LabPage | None:
    """The lab that recorded a history entry under `key`, if it still exists."""
    return next((item for item in LABS if item.key == key), None)


def tool(name: str) -> LabPage:
    """A tool by its English name ("History"), whatever the session's language."""
    return next(item for item in TOOLS if item.name == name)
