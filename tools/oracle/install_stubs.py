"""Import-only stand-ins for braceexpand and webdataset, which open_clip_train imports at module
level but which the local wheel mirror lacks. Synthetic-data runs never call them; anything that
does gets a RuntimeError that says to install the real package."""
import importlib.util
import pathlib
import sysconfig

site = pathlib.Path(sysconfig.get_paths()["purelib"])
MISSING = '''
def _missing(*args, **kwargs):
    raise RuntimeError("{pkg} stand-in: install the real package to use webdataset data")


def __getattr__(name):
    return _missing
'''
FILES = {
    "braceexpand.py": MISSING.format(pkg="braceexpand"),
    "webdataset/__init__.py": MISSING.format(pkg="webdataset") + "\n\nclass PipelineStage:\n    pass\n",
    "webdataset/filters.py": MISSING.format(pkg="webdataset"),
    "webdataset/tariterators.py": MISSING.format(pkg="webdataset"),
}
for name in ("braceexpand", "webdataset"):
    if importlib.util.find_spec(name) is not None:
        continue
    for rel, body in FILES.items():
        if rel.split("/")[0].removesuffix(".py") == name:
            target = site / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body)
    print(f"installed import-only stand-in for {name}")
