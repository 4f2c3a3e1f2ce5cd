"""Settings: production refuses to start without a secret key and passes Django's deploy check."""


def test_debug_off_without_secret_key_refuses_to_start(monkeypatch):
    import subprocess
    import sys

    env = {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", "import alliance.project.settings"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_production_settings_pass_the_deploy_check():
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x" * 30 + "a-long-random-production-key-0123456789",
        "DJANGO_ALLOWED_HOSTS": "alliance.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
