"""The students' page (``sovai ui``): an interface on the model, kept apart from the analysis code."""
