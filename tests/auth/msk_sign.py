"""The reference MSK IAM token, from aws-msk-iam-sasl-signer-python, for fixed credentials and
a fixed signing time: tests/auth.rs compares kscope's token with it.

    python msk_sign.py REGION ACCESS_KEY SECRET_KEY SESSION_TOKEN|- UNIX_SECONDS

prints {"token": ..., "expiry_ms": ...} as JSON.
"""

import datetime
import json
import sys
from unittest import mock

import botocore.auth
from botocore.credentials import CredentialProvider, Credentials
from aws_msk_iam_sasl_signer import MSKAuthTokenProvider


class Fixed(CredentialProvider):
    def __init__(self, creds):
        super().__init__()
        self.creds = creds

    def load(self):
        return self.creds


def main():
    region, access, secret, token, seconds = sys.argv[1:6]
    creds = Credentials(access, secret, None if token == "-" else token)
    # botocore's signing clock, as naive UTC.
    at = datetime.datetime.fromtimestamp(int(seconds), tz=datetime.timezone.utc).replace(tzinfo=None)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=at):
        value, expiry = MSKAuthTokenProvider.generate_auth_token_from_credentials_provider(
            region, Fixed(creds)
        )
    print(json.dumps({"token": value, "expiry_ms": expiry}))


if __name__ == "__main__":
    main()
