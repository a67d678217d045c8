"""Topics: the list with the embeddable subscription form, adding a topic, editing its wording
(each change of the consent text is a new version)."""
