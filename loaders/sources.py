"""Licences the publishers use (each loader declares its own SourceInfo beside its code)."""

OGL = "Open Government Licence v3.0"
ODBL = "Open Database License 1.0"
