"""The blueprint catalogue and the synthesis pipeline that turns it into portable templates."""
