"""The caseload over time: 待办 (what changes soon) and recheck (what a rule change changes)."""
