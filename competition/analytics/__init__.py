"""Judge analytics (裁判评分分析): severity, consistency, outliers and the panel's agreement,
for the chief judge once the scores are locked."""
