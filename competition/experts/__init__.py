"""experts: the expert pool (专家库), judge panels and declared conflicts."""
