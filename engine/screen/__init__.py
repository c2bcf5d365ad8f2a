"""免申即享: registries screened for the people who qualify, and rule books compared on them."""
