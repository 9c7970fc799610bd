"""Landmark models: the geometric baseline and the learned heatmap networks."""
