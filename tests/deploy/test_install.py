"""deploy/offline/install.sh on a bundle, staged under a folder (INSTALL_ROOT): the release gets
its own .venv from the bundle's wheelhouse only (no index), /opt/cockpit points at it, the
settings, units and nginx site are installed where none exist and an edited one is kept, the
secrets folder is closed. The bundle here carries one small wheel instead of the real ones
(make-bundle.sh downloads those on a connected machine)."""
import os
import platform
import shutil
import stat
import subprocess
import zipfile
from pathlib import Path

from warehouse.paths import ROOT


def _wheel(folder: Path) -> None:
    """A pure-Python wheel with one module, written by hand (building one would need the net)."""
    name = "cockpit_probe-1.0"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / f"{name}-py3-none-any.whl", "w") as whl:
        whl.writestr("cockpit_probe.py", "ANSWER = 42\n")
        whl.writestr(f"{name}.dist-info/METADATA", "Metadata-Version: 2.1\nName: cockpit-probe\nVersion: 1.0\n")
        whl.writestr(f"{name}.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                                "Tag: py3-none-any\n")
        whl.writestr(f"{name}.dist-info/RECORD", "")


def _bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "cockpit-test"
    shutil.copytree(ROOT / "deploy", bundle / "deploy")
    (bundle / "etl" / "warning").mkdir(parents=True)
    shutil.copy(ROOT / "etl" / "warning" / "settings.toml", bundle / "etl" / "warning")
    (bundle / "requirements.txt").write_text("cockpit-probe==1.0\n")
    _wheel(bundle / "wheelhouse" / platform.machine())
    return bundle


def _install(bundle: Path, root: Path) -> str:
    env = {**os.environ, "INSTALL_ROOT": str(root), "PIP_CONFIG_FILE": os.devnull}
    done = subprocess.run(["sh", str(bundle / "deploy" / "offline" / "install.sh")], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_an_offline_install_staged_in_a_folder(tmp_path):
    bundle, root = _bundle(tmp_path), tmp_path / "root"
    out = _install(bundle, root)
    assert (root / "opt" / "cockpit").resolve() == (root / "opt" / "cockpit-releases" / "cockpit-test").resolve()
    python = root / "opt" / "cockpit" / ".venv" / "bin" / "python"
    assert subprocess.run([str(python), "-c", "import cockpit_probe; print(cockpit_probe.ANSWER)"],
                          capture_output=True, text=True).stdout == "42\n"
    assert not (root / "opt" / "cockpit" / "wheelhouse").exists()
    for path in ("etc/cockpit/cockpit.env", "etc/cockpit/warning.toml", "etc/nginx/sites-available/cockpit.conf",
                 "etc/systemd/system/cockpit-web.service", "etc/systemd/system/cockpit-backup.timer"):
        assert (root / path).is_file(), path
        assert f"created  {root / path}" in out or "systemd" in path
    assert stat.S_IMODE((root / "var" / "lib" / "cockpit" / "secrets").stat().st_mode) == 0o700
    env_file = root / "etc" / "cockpit" / "cockpit.env"
    env_file.write_text(env_file.read_text() + "COCKPIT_MONITOR_FROM=10.1.2.3\n")     # the centre's edit
    out = _install(bundle, root)                                 # again: an upgrade
    assert f"kept     {env_file}" in out and "10.1.2.3" in env_file.read_text()


def test_a_bundle_without_wheels_for_this_machine_is_refused(tmp_path):
    bundle = _bundle(tmp_path)
    shutil.rmtree(bundle / "wheelhouse" / platform.machine())
    done = subprocess.run(["sh", str(bundle / "deploy" / "offline" / "install.sh")],
                          env={**os.environ, "INSTALL_ROOT": str(tmp_path / "root")}, capture_output=True, text=True)
    assert done.returncode != 0 and "no wheels" in done.stderr
    assert not (tmp_path / "root").exists()
