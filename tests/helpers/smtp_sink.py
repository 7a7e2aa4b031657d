#!/usr/bin/python3
"""smtp_sink.py - a real SMTP server for the mail tests (aiosmtpd, Debian's
python3-aiosmtpd). Listens on 127.0.0.1:PORT and writes every message it
accepts to DIR as one JSON file (written whole, then renamed, so a reader
never sees half a message): envelope sender and recipients, the decoded
Subject, the decoded text body and the raw headers. Prints "ready PORT" on
stdout once it listens; stops on SIGTERM.

    /usr/bin/python3 tests/helpers/smtp_sink.py PORT DIR [USER PASSWORD]

With USER and PASSWORD the server demands AUTH (PLAIN or LOGIN, allowed
without TLS here) with exactly these, and records the login in each message.
With SMTP_SINK_TLS_CERT and SMTP_SINK_TLS_KEY in the environment (PEM files)
it offers STARTTLS and refuses mail before it; each message records whether
it came over TLS.
"""
import asyncio
import email
import email.header
import email.policy
import itertools
import json
import os
import signal
import ssl
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.seq = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        body = msg.get_body(preferencelist=('plain',))
        record = {
            'mail_from': envelope.mail_from,
            'rcpt_tos': envelope.rcpt_tos,
            'subject': str(msg['Subject'] or ''),
            'raw': envelope.original_content.decode('utf-8', 'replace'),
            'body': body.get_content() if body is not None else '',
            'headers': {k: str(v) for k, v in msg.items()},
            'login': session.auth_data if session.authenticated else None,
            'tls': session.ssl is not None,
        }
        n = next(self.seq)
        name = os.path.join(self.folder, f'{os.getpid()}-{n:05d}.json')
        with open(name + '.tmp', 'w', encoding='utf-8') as f:
            json.dump(record, f, ensure_ascii=False)
        os.rename(name + '.tmp', name)
        return '250 OK'


warnings.simplefilter('ignore')  # AUTH without TLS: a local test server only


def authenticator_for(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)
    return check


async def main(port, folder, user=None, password=None):
    loop = asyncio.get_running_loop()
    sink = Sink(folder)
    extra = {}
    if user is not None:
        extra = {'authenticator': authenticator_for(user, password), 'auth_required': True,
                 'auth_require_tls': False}
    cert, key = os.environ.get('SMTP_SINK_TLS_CERT'), os.environ.get('SMTP_SINK_TLS_KEY')
    if cert and key:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        extra.update({'tls_context': context, 'require_starttls': True})
    server = await loop.create_server(lambda: SMTP(sink, enable_SMTPUTF8=True, **extra),
                                      host='127.0.0.1', port=port, reuse_address=True)
    print(f'ready {port}', flush=True)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    loop.add_signal_handler(signal.SIGINT, stop.set_result, None)
    await stop
    server.close()
    await server.wait_closed()


if __name__ == '__main__':
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], *sys.argv[3:5]))
