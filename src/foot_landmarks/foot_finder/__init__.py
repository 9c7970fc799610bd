"""The page stage's learned step: a small network on a downscaled page finds every foot.

It answers, for each foot on a page: where the foot is (a region), where its heel and its toes
are (the foot's axis, whatever the page's rotation) and which side its hallux lies on (the
configuration). Trained on generated pages with strong randomisation (foot_finder.training);
its targets come from the 8 landmarks alone (foot_finder.targets), so any VIA-annotated scan
can teach it too.
"""

from foot_landmarks.foot_finder.model import FootFinder, FoundFoot

__all__ = ["FootFinder", "FoundFoot"]
