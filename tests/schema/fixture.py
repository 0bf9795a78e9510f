"""Records written and read by an independent client: confluent-kafka's serializers and
deserializers against the test Schema Registry. kscope's schema tests run this.

  fixture.py produce CASE --bootstrap B --registry URL --topic T
      writes CASE's records; prints, one JSON line per record, what kscope must show:
      {"key": ..., "value": ..., "subject": ..., "version": ...}
  fixture.py consume KIND --bootstrap B --registry URL --topic T --count N [--proto-message M]
      reads N records with the KIND deserializer and prints each value as JSON
"""
import argparse
import base64
import datetime
import decimal
import json
import os
import subprocess
import sys
import tempfile
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext, StringSerializer

HERE = os.path.dirname(os.path.abspath(__file__))
UTC = datetime.timezone.utc

ORDER_V1 = {
    "type": "record", "name": "Order", "namespace": "shop",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [
            {"name": "name", "type": "string"},
            {"name": "tier", "type": {"type": "enum", "name": "Tier", "symbols": ["GOLD", "SILVER"]}},
        ]}},
        {"name": "lines", "type": {"type": "array", "items": {"type": "record", "name": "Line", "fields": [
            {"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}]}}},
        {"name": "attrs", "type": {"type": "map", "values": "string"}},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "uid", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "ratio", "type": "double"},
        {"name": "flag", "type": "boolean"},
        {"name": "raw", "type": "bytes"},
        {"name": "big", "type": "long"},
    ],
}
ORDER_V2 = json.loads(json.dumps(ORDER_V1))
ORDER_V2["fields"].append({"name": "channel", "type": "string", "default": "web"})

MONEY = {"type": "record", "name": "Money", "namespace": "money",
         "fields": [{"name": "cents", "type": "long"}, {"name": "currency", "type": "string"}]}
PAYMENT = {"type": "record", "name": "Payment", "namespace": "shop",
           "fields": [{"name": "id", "type": "string"}, {"name": "total", "type": "money.Money"}]}

JSON_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Event", "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["click", "view"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "meta": {"type": "object"},
        "score": {"type": ["number", "null"]},
    },
    "required": ["id", "kind"],
}


def avro_order(i, v2=False):
    """(the value for the serializer, what kscope shows)"""
    at = datetime.datetime(2024, 1, 31, 12, 0, 0, 123000, tzinfo=UTC) + datetime.timedelta(minutes=i)
    at_us = datetime.datetime(2024, 1, 31, 12, 0, 0, 123456, tzinfo=UTC)
    day = datetime.date(2024, 2, 29)
    uid = uuid.UUID(int=0x123e4567e89b12d3a456426614174000 + i)
    native = {
        "id": i, "customer": {"name": "Zoë \u202e", "tier": "SILVER" if i % 2 else "GOLD"},
        "lines": [{"sku": "A-%d" % i, "qty": i + 1}, {"sku": "B", "qty": -2}],
        "attrs": {"source": "web", "empty": ""},
        "note": None if i % 2 else "n%d" % i,
        "amount": decimal.Decimal("-1234.50") + i,
        "at": at, "at_us": at_us, "day": day, "uid": str(uid), "ratio": 0.1 * i,
        "flag": i % 2 == 0, "raw": bytes([0, 1, 255, i % 256]),
        "big": 9007199254740993 + i,
    }
    shown = dict(native)
    shown["amount"] = str(native["amount"])
    shown["at"] = at.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (at.microsecond // 1000)
    shown["at_us"] = "2024-01-31T12:00:00.123456Z"
    shown["day"] = "2024-02-29"
    shown["raw"] = base64.b64encode(native["raw"]).decode()
    if v2:
        native["channel"] = "app"
        shown["channel"] = "app"
    return native, shown


def proto_modules():
    """Compiles tests/schema/proto with protoc (from grpcio-tools) into importable modules."""
    out = tempfile.mkdtemp(prefix="kscope-pb2-")
    import grpc_tools
    from grpc_tools import protoc
    wkt = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    rc = protoc.main(["protoc", "-I" + os.path.join(HERE, "proto"), "-I" + wkt, "--python_out=" + out,
                      "money.proto", "shop.proto"])
    if rc != 0:
        sys.exit("protoc failed")
    sys.path.insert(0, out)
    import shop_pb2  # noqa
    return shop_pb2


class Registry(SchemaRegistryClient):
    """The client, tolerant of its own retried registration.

    The client retries a request whose connection failed (reset, timeout). When the registry had
    already stored the schema from the first attempt, the retry is answered 409 "already exists"
    for a subject that now holds exactly this schema: look it up instead of failing.
    """

    def register_schema_full_response(self, subject_name, schema, normalize_schemas=False):
        try:
            return super().register_schema_full_response(subject_name, schema, normalize_schemas)
        except SchemaRegistryError as e:
            if e.http_status_code != 409:
                raise
            return self.lookup_schema(subject_name, schema, normalize_schemas)


def registry_client(url):
    # A generous request timeout: a loaded test machine can take seconds to answer a first
    # registration, and a timed-out request is what makes the client retry.
    return Registry({"url": url, "timeout": 60})


def delivery_check(err, msg):
    if err is not None:
        sys.exit("delivery failed: %s" % err)


def produce(args):
    sr = registry_client(args.registry)
    p = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5})
    topic = args.topic
    vctx = SerializationContext(topic, MessageField.VALUE)
    kctx = SerializationContext(topic, MessageField.KEY)
    expected = []

    def send(key, value, shown, subject=None, version=None, key_shown=None):
        p.produce(topic, key=key, value=value, on_delivery=delivery_check)
        expected.append({"key": key_shown if key_shown is not None else (key.decode() if key else None),
                         "value": shown, "subject": subject, "version": version})

    if args.case == "avro":
        s1 = AvroSerializer(sr, json.dumps(ORDER_V1))
        s2 = AvroSerializer(sr, json.dumps(ORDER_V2))
        for i in range(4):
            native, shown = avro_order(i)
            send(b"k%d" % i, s1(native, vctx), shown, topic + "-value", 1)
        for i in range(4, 6):
            native, shown = avro_order(i, v2=True)
            send(b"k%d" % i, s2(native, vctx), shown, topic + "-value", 2)
    elif args.case == "avro-key":
        ks = AvroSerializer(sr, json.dumps({"type": "record", "name": "K", "fields": [{"name": "id", "type": "int"}]}))
        vs = AvroSerializer(sr, json.dumps(ORDER_V1))
        native, shown = avro_order(1)
        p.produce(topic, key=ks({"id": 7}, kctx), value=vs(native, vctx), on_delivery=delivery_check)
        expected.append({"key": {"id": 7}, "value": shown, "subject": topic + "-value", "version": 1})
    elif args.case == "avro-ref":
        money_subject = topic + "-money"
        sr.register_schema(money_subject, Schema(json.dumps(MONEY), "AVRO"))
        ref = SchemaReference("money.Money", money_subject, 1)
        schema = Schema(json.dumps(PAYMENT), "AVRO", [ref])
        s = AvroSerializer(sr, schema, conf={"auto.register.schemas": True})
        native = {"id": "p1", "total": {"cents": 1999, "currency": "EUR"}}
        send(b"p1", s(native, vctx), native, topic + "-value", 1)
    elif args.case == "protobuf":
        pb = proto_modules()
        conf = {"use.deprecated.format": False}
        so = ProtobufSerializer(pb.Order, sr, conf)
        sl = ProtobufSerializer(pb.Order.Line, sr, {"use.deprecated.format": False,
                                                    "subject.name.strategy": lambda ctx, name: topic + "-line"})
        sf = ProtobufSerializer(pb.Refund, sr, {"use.deprecated.format": False,
                                                "subject.name.strategy": lambda ctx, name: topic + "-refund"})
        o = pb.Order(id=9007199254740993, customer=pb.Order.Customer(name="Zoë", tier=pb.Order.SILVER),
                     lines=[pb.Order.Line(sku="A", qty=2)], attrs={"k": "v"}, card="visa")
        o.at.FromDatetime(datetime.datetime(2024, 1, 31, 12, 0, 0, 123000))
        o.took.FromMilliseconds(1500)
        o.note.value = "hi"
        o.big.value = -5
        o.total.cents = 1999
        o.total.currency = "EUR"
        o.raw = b"\x00\xff"
        o.ratio = 0.25
        shown = {"id": "9007199254740993", "customer": {"name": "Zoë", "tier": "SILVER"},
                 "lines": [{"sku": "A", "qty": 2}], "attrs": {"k": "v"}, "card": "visa",
                 "at": "2024-01-31T12:00:00.123Z", "took": "1.500s", "note": "hi", "big": "-5",
                 "total": {"cents": "1999", "currency": "EUR"}, "raw": "AP8=", "ratio": 0.25}
        send(b"o1", so(o, vctx), shown, topic + "-value", 1)
        o2 = pb.Order(id=2, cash="10 EUR")
        # Unset message fields have no value in proto3: they are left out, scalars show defaults.
        shown2 = {"id": "2", "lines": [], "attrs": {}, "cash": "10 EUR", "raw": "", "ratio": 0.0}
        send(b"o2", so(o2, vctx), shown2, topic + "-value", 1)
        # One file under three subjects is one schema id: the subject shown is TOPIC-value.
        send(b"l1", sl(pb.Order.Line(sku="Z", qty=-1), vctx), {"sku": "Z", "qty": -1}, topic + "-value", 1)
        send(b"r1", sf(pb.Refund(order_id=1, reason="late"), vctx), {"order_id": "1", "reason": "late"},
             topic + "-value", 1)
    elif args.case == "json":
        s = JSONSerializer(json.dumps(JSON_SCHEMA), sr)
        for i, v in enumerate([{"id": 1, "kind": "click", "tags": ["a"], "meta": {"x": [1, {"y": None}]}, "score": 1.5},
                               {"id": 2, "kind": "view", "score": None}]):
            send(b"e%d" % i, s(v, vctx), v, topic + "-value", 1)
    else:
        sys.exit("unknown case " + args.case)
    p.flush(30)
    for e in expected:
        print(json.dumps(e))


def normal(v):
    if isinstance(v, dict):
        return {k: normal(x) for k, x in v.items()}
    if isinstance(v, list):
        return [normal(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(bytes(v)).decode()
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, datetime.datetime):
        t = v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        # As kscope shows timestamp-millis: three digits when there are no microseconds.
        return (t[:-3] if v.microsecond % 1000 == 0 else t) + "Z"
    if isinstance(v, datetime.date):
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    return v


def consume(args):
    sr = registry_client(args.registry)
    if args.kind == "avro":
        d = AvroDeserializer(sr)
        conv = lambda v: normal(v)
    elif args.kind == "protobuf":
        pb = proto_modules()
        from google.protobuf.json_format import MessageToDict
        cls = pb.Order
        for part in (args.proto_message or "shop.Order").split(".")[1:]:
            cls = getattr(pb, part) if cls is pb.Order and part == "Order" else getattr(cls, part, cls)
        d = ProtobufDeserializer(cls, {"use.deprecated.format": False})
        conv = lambda v: MessageToDict(v, preserving_proto_field_name=True)
    elif args.kind == "json":
        d = JSONDeserializer(None, schema_registry_client=sr)
        conv = lambda v: v
    else:
        sys.exit("unknown kind " + args.kind)
    c = Consumer({"bootstrap.servers": args.bootstrap, "group.id": "fixture-" + args.topic,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([args.topic])
    ctx = SerializationContext(args.topic, MessageField.VALUE)
    n = 0
    import time
    deadline = time.time() + 60
    while n < args.count and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            continue
        print(json.dumps({"key": m.key().decode() if m.key() else None, "value": conv(d(m.value(), ctx))}))
        n += 1
    c.close()
    if n < args.count:
        sys.exit("read %d of %d records" % (n, args.count))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["produce", "consume"])
    ap.add_argument("case")
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--registry", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--proto-message")
    args = ap.parse_args()
    if args.mode == "produce":
        produce(args)
    else:
        args.kind = args.case
        consume(args)


if __name__ == "__main__":
    main()
