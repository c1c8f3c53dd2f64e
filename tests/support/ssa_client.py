"""An outside server-to-server app, as the seed's Python snippet writes it: PyJWT signs a
JWT assertion with the SSA's private key, the assertion is exchanged for an access token,
and the token is used on /userinfo. Prints {"jti","scope","userinfo"} as JSON."""
import base64
import json
import os
import sys
import time
import urllib.parse
import urllib.request

import jwt  # PyJWT


def main():
    env = os.environ
    with open(env["KEY_FILE"]) as f:
        private_key = f.read()
    claims = {
        "iss": env["CLIENT_ID"],
        "sub": env["SSA_ID"],
        "aud": env["TOKEN_URL"],
        "exp": int(time.time()) + 300,
        "scope": ["data:read", "user-profile:read"],
    }
    assertion = jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": env["KID"]})
    body = urllib.parse.urlencode(
        {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}
    ).encode()
    basic = base64.b64encode(f'{env["CLIENT_ID"]}:{env["CLIENT_SECRET"]}'.encode()).decode()
    req = urllib.request.Request(
        env["TOKEN_URL"],
        data=body,
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(req) as res:
        token = json.load(res)
    access = token["access_token"]
    decoded = jwt.decode(access, options={"verify_signature": False})
    req = urllib.request.Request(env["USERINFO_URL"], headers={"Authorization": f"Bearer {access}"})
    with urllib.request.urlopen(req) as res:
        profile = json.load(res)
    json.dump({"jti": decoded["jti"], "scope": token["scope"], "userinfo": profile}, sys.stdout)


if __name__ == "__main__":
    main()
