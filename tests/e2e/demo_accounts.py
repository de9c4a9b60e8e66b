"""The demo accounts (app/demo.py) the browser tests act as."""

from __future__ import annotations

from app.demo import DEMO_PASSWORD

PASSWORD = DEMO_PASSWORD
PARTICIPANT = "peserta.surabaya"  # team 35.78 Kota Surabaya
SURABAYA = "35.78"
JUDGE = "juri3"  # no home region: sees every team's activities
JUDGE_OF_SURABAYA = "juri1"  # home region 35.78: must never see Surabaya's activities
