"""The reference of the HTTP benchmark: a bare Flask app returning a short string,
served by gunicorn with the same settings as the competition app."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
