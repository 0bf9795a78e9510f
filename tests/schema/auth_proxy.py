"""An HTTP Basic authentication gate in front of the test Schema Registry, as many deployments
put one (an ingress or a gateway that checks credentials before the registry sees a request).

  auth_proxy.py UPSTREAM USER PASSWORD
      listens on a free loopback port and prints it as one line; a request with
      `Authorization: Basic base64(USER:PASSWORD)` is forwarded to UPSTREAM (the registry's base
      URL) and its answer returned as it is; any other request gets 401 with a Confluent-style
      error body. Runs until killed.
"""
import base64
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

upstream, user, password = sys.argv[1:4]
expected = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


class Gate(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.headers.get("Authorization") != expected:
            self.answer(401, b'{"error_code":401,"message":"Unauthorized"}', "application/json")
            return
        try:
            with urllib.request.urlopen(upstream + self.path, timeout=10) as r:
                self.answer(r.status, r.read(), r.headers.get("Content-Type", "application/json"))
        except urllib.error.HTTPError as e:
            self.answer(e.code, e.read(), e.headers.get("Content-Type", "application/json"))


server = ThreadingHTTPServer(("127.0.0.1", 0), Gate)
print(server.server_address[1], flush=True)
server.serve_forever()
