"""One stack per blueprint: parameters, conditions, composition of constructs, outputs."""
