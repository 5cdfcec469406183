"""gan_course: builders, losses, train steps, data and training loop for the GAN course.

Importing the package has no side effects: it seeds nothing, sets no matplotlib
style and touches no device flags. Call `gan_course.set_seed` yourself.
"""

from gan_course.seeding import set_seed

__all__ = ["set_seed"]
__version__ = "0.1.0"
