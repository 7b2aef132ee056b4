#!/usr/bin/env python3
"""Load drivers for scripts/db-restart.sh and scripts/soak.sh (stdlib only).

  ops_load.py tokens  BASE BASIC_AUTH OUT.csv STOP_FILE [THREADS]
      client_credentials token requests in a loop until STOP_FILE exists;
      one CSV line per answer: unix time, status, error code, seconds, token.
  ops_load.py introspect BASE BASIC_AUTH OUT.csv
      asks the introspection endpoint about every token in OUT.csv; prints
      "checked=<n> inactive=<n>".
  ops_load.py soak BASE BASIC_AUTH CLIENT_ID REDIRECT_URI USER PASSWORD SECONDS [THREADS]
      mixed traffic: sign-in, code flow with PKCE, refresh, introspection,
      forward-auth; prints "rounds=<n> requests=<n> errors=<n>" and the first
      errors.
"""

import base64
import csv
import hashlib
import http.client
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse


class Http:
    """One keep-alive connection to the server, reopened when it breaks."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port, self.netloc = url.hostname, url.port or 80, url.netloc
        self.conn = None

    def call(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        headers.setdefault("Host", self.netloc)
        if isinstance(body, dict):
            body = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")


def tokens(base, basic, out, stop_file, threads=4):
    lock = threading.Lock()
    rows = []

    def run():
        client = Http(base)
        auth = {"Authorization": "Basic " + basic, "Accept": "application/json"}
        while not os.path.exists(stop_file):
            started = time.time()
            try:
                status, _, body = client.call(
                    "POST", "/oauth/token", {"grant_type": "client_credentials"}, auth
                )
            except OSError as e:
                # No answer at all (connection refused or reset): recorded
                # as status 0, which the caller counts as a failure.
                status, body = 0, json.dumps({"error": type(e).__name__}).encode()
            took = time.time() - started
            try:
                answer = json.loads(body)
            except ValueError:
                answer = {"error": "not_json"}
            with lock:
                rows.append(
                    (f"{started:.3f}", status, answer.get("error", ""), f"{took:.3f}",
                     answer.get("access_token", ""))
                )

    workers = [threading.Thread(target=run) for _ in range(int(threads))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    with open(out, "w", newline="") as f:
        csv.writer(f).writerows(sorted(rows))


def introspect(base, basic, out):
    client = Http(base)
    checked = inactive = 0
    with open(out) as f:
        for row in csv.reader(f):
            token = row[4]
            if not token:
                continue
            _, _, body = client.call(
                "POST", "/oauth/introspect", {"token": token}, {"Authorization": "Basic " + basic}
            )
            checked += 1
            if not json.loads(body).get("active"):
                inactive += 1
    print(f"checked={checked} inactive={inactive}")


def header(headers, name):
    return next((v for k, v in headers if k.lower() == name.lower()), "")


def cookie_of(headers, name):
    for key, value in headers:
        if key.lower() == "set-cookie":
            match = re.search(rf"(?:^|,\s*){name}=([^;]*)", value)
            if match:
                return match.group(1)
    return None


def hidden(html, name):
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    value = tag and re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1).replace("&#x2f;", "/").replace("&amp;", "&") if value else ""


def soak(base, basic, client_id, redirect_uri, user, password, seconds, threads=2):
    deadline = time.time() + float(seconds)
    lock = threading.Lock()
    totals = {"rounds": 0, "requests": 0, "errors": 0}
    first_errors = []

    def check(what, ok, status, body):
        with lock:
            totals["requests"] += 1
            if not ok:
                totals["errors"] += 1
                if len(first_errors) < 5:
                    first_errors.append(f"{what}: {status} {body[:200]!r}")
        return ok

    def sign_in(client):
        status, headers, body = client.call("GET", "/login")
        csrf_cookie = cookie_of(headers, "tessera_csrf") or ""
        csrf = hidden(body.decode(), "csrf_token")
        status, headers, body = client.call(
            "POST", "/login",
            {"username": user, "password": password, "csrf_token": csrf, "next": "/account"},
            {"Cookie": f"tessera_csrf={csrf_cookie}", "Origin": base},
        )
        token = cookie_of(headers, "authtoken")
        check("sign-in", status in (302, 303) and token, status, body)
        return token

    def authorize(client, cookie, challenge):
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
            "scope": "profile content:read", "state": secrets.token_hex(8),
            "code_challenge": challenge, "code_challenge_method": "S256",
        })
        status, headers, body = client.call(
            "GET", "/oauth/authorize?" + query, headers={"Cookie": f"authtoken={cookie}"}
        )
        if status == 200:  # the consent page, once per user: allow
            html = body.decode()
            csrf_cookie = cookie_of(headers, "tessera_csrf") or ""
            status, headers, body = client.call(
                "POST", "/oauth/authorize",
                {"csrf_token": hidden(html, "csrf_token"),
                 "consent_token": hidden(html, "consent_token"), "decision": "allow"},
                {"Cookie": f"authtoken={cookie}; tessera_csrf={csrf_cookie}", "Origin": base},
            )
        location = header(headers, "Location")
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get("code", [""])[0]
        check("authorize", status in (302, 303) and code, status, body)
        return code

    def run():
        client = Http(base)
        auth = {"Authorization": "Basic " + basic}
        while time.time() < deadline:
            verifier = secrets.token_urlsafe(48)
            challenge = base64.urlsafe_b64encode(
                hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            cookie = sign_in(client)
            if not cookie:
                continue
            for _ in range(5):  # a few flows per sign-in, as a browser would
                code = authorize(client, cookie, challenge)
                if not code:
                    break
                status, _, body = client.call("POST", "/oauth/token", {
                    "grant_type": "authorization_code", "code": code,
                    "redirect_uri": redirect_uri, "code_verifier": verifier}, auth)
                tokens_ = json.loads(body) if status == 200 else {}
                if not check("code exchange", "refresh_token" in tokens_, status, body):
                    break
                status, _, body = client.call("POST", "/oauth/token", {
                    "grant_type": "refresh_token",
                    "refresh_token": tokens_["refresh_token"]}, auth)
                refreshed = json.loads(body) if status == 200 else {}
                if not check("refresh", "access_token" in refreshed, status, body):
                    break
                access = refreshed["access_token"]
                status, _, body = client.call(
                    "POST", "/oauth/introspect", {"token": access}, auth)
                check("introspection", status == 200 and json.loads(body).get("active"),
                      status, body)
                for _ in range(10):  # forward-auth is the most frequent call
                    status, _, body = client.call(
                        "GET", "/auth/verify", headers={"Authorization": f"Bearer {access}"})
                    check("forward-auth (token)", status == 200, status, body)
                    status, _, body = client.call(
                        "GET", "/auth/verify", headers={"Cookie": f"authtoken={cookie}"})
                    check("forward-auth (cookie)", status == 200, status, body)
            with lock:
                totals["rounds"] += 1

    workers = [threading.Thread(target=run) for _ in range(int(threads))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(" ".join(f"{k}={v}" for k, v in totals.items()))
    for line in first_errors:
        print("error: " + line)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"tokens": tokens, "introspect": introspect, "soak": soak}[command](*args)
