import pytest

from bot.core.settings import InsecureSettings, Settings


def test_default_secret_is_refused_outside_dev_and_demo():
    with pytest.raises(InsecureSettings, match="LESSONLOOP_SECRET_KEY"):
        Settings().signing_key()
    assert Settings(env="demo").signing_key() == b"change-me"
    assert Settings(secret_key="s3cret-value").signing_key() == b"s3cret-value"


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", "postgresql://u@db/lessonloop")
    monkeypatch.setenv("LESSONLOOP_SMTP_URL", "smtp://me%40x.org:p%3Ass@mail.example.org:587?starttls=true")
    settings = Settings()
    assert settings.sqlalchemy_url() == "postgresql+psycopg://u@db/lessonloop"
    target = settings.smtp_target()
    assert (target.host, target.port, target.username, target.password, target.start_tls, target.use_tls) == (
        "mail.example.org", 587, "me@x.org", "p:ss", True, False)


def test_bad_smtp_scheme_names_the_variable():
    with pytest.raises(ValueError, match="LESSONLOOP_SMTP_URL"):
        Settings(smtp_url="http://x").smtp_target()


def test_unset_smtp_means_the_mail_folder():
    assert Settings().smtp_target() is None
