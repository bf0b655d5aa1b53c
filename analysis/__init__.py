"""Analysis: figures, sensitivity, comparisons, calibration and reports (reads model outputs, never the reverse)."""
