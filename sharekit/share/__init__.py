"""Share buttons: the network registry, the bar, and the routes behind the two clicks."""
