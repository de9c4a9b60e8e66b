"""judging context."""
