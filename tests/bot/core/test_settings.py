import pytest

from bot.core.settings import InsecureSettings, Settings, SettingsError


def test_default_secret_is_refused_outside_dev_and_demo():
    with pytest.raises(InsecureSettings, match="LESSONLOOP_SECRET_KEY"):
        Settings().signing_key()
    assert Settings(env="demo").signing_key() == b"change-me"
    long_secret = "k" * 32
    assert Settings(secret_key=long_secret).signing_key() == long_secret.encode()


@pytest.mark.parametrize("secret", ["x", "s3cret-value", "k" * 31])
def test_a_short_secret_is_refused_outside_demo_and_test(secret):
    with pytest.raises(InsecureSettings, match="at least 32"):
        Settings(secret_key=secret).signing_key()
    assert Settings(env="test", secret_key=secret).signing_key() == secret.encode()


@pytest.mark.parametrize(
    "name, value",
    [
        ("RETENTION_DAYS", "-1"),
        ("RETENTION_DAYS", "0"),
        ("LINK_DAYS", "0"),
        ("MIN_CELL", "1"),
        ("SMTP_CONNECTIONS", "0"),
        ("RETRY_HOURS", "0"),
        ("WORKING_HOURS", "18:00-08:00"),
        ("WORKING_HOURS", "nine to five"),
        ("BASE_URL", "localhost:8000"),
        ("SLACK_PER_MINUTE", "0"),
    ],
)
def test_every_setting_has_a_range_and_the_error_names_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(f"LESSONLOOP_{name}", value)
    with pytest.raises(SettingsError, match=f"LESSONLOOP_{name}"):
        Settings()


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", "postgresql://u@db/lessonloop")
    monkeypatch.setenv("LESSONLOOP_SMTP_URL", "smtp://me%40x.org:p%3Ass@mail.example.org:587?starttls=true")
    settings = Settings()
    assert settings.sqlalchemy_url() == "postgresql+psycopg://u@db/lessonloop"
    target = settings.smtp_target()
    assert (target.host, target.port, target.username, target.password, target.start_tls, target.use_tls) == (
        "mail.example.org",
        587,
        "me@x.org",
        "p:ss",
        True,
        False,
    )


def test_bad_smtp_scheme_names_the_variable():
    with pytest.raises(ValueError, match="LESSONLOOP_SMTP_URL"):
        Settings(smtp_url="http://x").smtp_target()


def test_unset_smtp_means_the_mail_folder():
    assert Settings().smtp_target() is None


def test_impact_intervals_from_the_environment_empty_switches_them_off(monkeypatch):
    monkeypatch.setenv("LESSONLOOP_IMPACT_MONTHS", " 3, 6,12 ")
    assert Settings().impact_intervals == (3, 6, 12)
    monkeypatch.setenv("LESSONLOOP_IMPACT_MONTHS", "")
    assert Settings().impact_intervals == ()
    for bad, says in (("3,x", "whole numbers"), ("0,6", "from 1 to 36"), ("6,3", "increasing"), ("3,3", "different")):
        monkeypatch.setenv("LESSONLOOP_IMPACT_MONTHS", bad)
        with pytest.raises(SettingsError, match=f"LESSONLOOP_IMPACT_MONTHS={bad}: .*{says}"):
            Settings()
    monkeypatch.setenv("LESSONLOOP_IMPACT_MONTHS", "3")
    monkeypatch.setenv("LESSONLOOP_IMPACT_SAMPLE", "1.5")
    with pytest.raises(SettingsError, match="LESSONLOOP_IMPACT_SAMPLE"):
        Settings()
