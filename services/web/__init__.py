"""The web studio's files, served through the gateway at ``/studio``."""
