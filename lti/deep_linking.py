"""Deep linking: what an instructor can place in the LMS, and the signed LtiDeepLinkingResponse."""
from dataclasses import dataclass

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from course.content.model import Catalogue

from .models import LtiPlatform
from .platforms import registration_for


@dataclass(frozen=True)
class Placeable:
    """A course, or one objective's module, as an item an instructor may place."""

    key: str  # "<course slug>" or "<course slug>/<module id>"
    title: str
    path: str  # on this site
    course_slug: str
    objective_count: int


def placeables(catalogue: Catalogue) -> list[Placeable]:
    items = []
    for course in catalogue.courses.values():
        items.append(Placeable(course.slug, course.title, f"/courses/{course.slug}", course.slug,
                               len(course.objectives)))
        for module in course.modules:
            if module.objective:
                items.append(Placeable(f"{course.slug}/{module.id}", f"{course.title}: {module.title}",
                                       f"/courses/{course.slug}/modules/{module.id}", course.slug,
                                       len(course.objectives)))
    return items


def response_jwt(platform: LtiPlatform, config, *, deployment_id: str, settings: dict, item: Placeable,
                 base_url: str) -> str:
    """The LtiDeepLinkingResponse JWT, signed with the tool's key, placing `item` as an LTI resource link
    with a line item (score out of the course's objectives) for grade passback."""
    resource = (
        DeepLinkResource().set_url(base_url + item.path).set_title(item.title)
        .set_custom_params({"course": item.course_slug})
        .set_lineitem(LineItem().set_score_maximum(item.objective_count).set_label(item.title)
                      .set_resource_id(item.key))
    )
    deep_link = DeepLink(registration_for(platform, config), deployment_id, settings)
    return deep_link.get_response_jwt([resource])
