"""A small OAuth 2.0 issuer for kscope's OAUTHBEARER tests, on loopback only.

Serves the JWKS of its signing key (GET /jwks) and the client credentials grant
(POST /token, the client authenticating with HTTP Basic or client_id/client_secret in the
form). Tokens are RS256 JWTs with iss, aud, sub, iat, exp and scope. Two clients:

  the good client   tokens signed with the published key: the broker accepts them
  the rogue client  tokens signed with a key that is NOT published (same kid): a broker
                    that really checks signatures refuses them

Keys and client secrets live in --state and survive restarts, so a broker that cached the
JWKS keeps working. Started and stopped by scripts/kafka.sh (start --oauth).
"""

import argparse
import base64
import json
import os
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ISSUER = "kscope-test-issuer"
AUDIENCE = "kafka"
KID = "kscope-test-key"


def load_key(path):
    if os.path.exists(path):
        with open(path, "rb") as f:
            return serialization.load_pem_private_key(f.read(), password=None)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    os.replace(tmp, path)
    return key


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--client", required=True, help="ID:SECRET of the good client")
    p.add_argument("--rogue", required=True, help="ID:SECRET of the rogue client")
    p.add_argument("--lifetime", type=int, default=300)
    args = p.parse_args()
    os.makedirs(args.state, exist_ok=True)
    good = load_key(os.path.join(args.state, "signing.pem"))
    rogue = load_key(os.path.join(args.state, "rogue.pem"))
    clients = {}
    for spec, key in ((args.client, good), (args.rogue, rogue)):
        cid, _, secret = spec.partition(":")
        clients[cid] = (secret, key)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(good.public_key()))
    jwk.update({"kid": KID, "use": "sig", "alg": "RS256"})
    jwks = json.dumps({"keys": [jwk]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            sys.stderr.write("%s %s\n" % (self.log_date_time_string(), fmt % a))

        def reply(self, status, body):
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.split("?")[0] == "/jwks":
                self.reply(200, jwks)
            else:
                self.reply(404, {"error": "not_found"})

        def do_POST(self):
            if self.path.split("?")[0] != "/token":
                self.reply(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            field = lambda k: (form.get(k) or [None])[0]
            cid, secret = field("client_id"), field("client_secret")
            auth = self.headers.get("Authorization") or ""
            if auth.startswith("Basic "):
                try:
                    cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
                except Exception:
                    cid, secret = None, None
            if field("grant_type") != "client_credentials":
                self.reply(400, {"error": "unsupported_grant_type"})
                return
            known = clients.get(cid or "")
            if known is None or known[0] != secret:
                self.reply(
                    401,
                    {"error": "invalid_client", "error_description": "client authentication failed"},
                )
                return
            now = int(time.time())
            claims = {
                "iss": ISSUER,
                "aud": AUDIENCE,
                "sub": cid,
                "iat": now,
                "exp": now + args.lifetime,
                "scope": field("scope") or "kafka",
            }
            token = jwt.encode(claims, known[1], algorithm="RS256", headers={"kid": KID})
            self.reply(
                200,
                {"access_token": token, "token_type": "Bearer", "expires_in": args.lifetime},
            )

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
