"""CI platforms: pull/merge-request comments, annotations, outputs, and the action's logic."""
