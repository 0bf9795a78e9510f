"""A confluent-kafka consumer with AvroDeserializer: every record of TOPIC from the beginning
to the end it had when started, each value as one JSON line on stdout."""
import json
import sys

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

bootstrap, registry, topic = sys.argv[1:4]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-py", "enable.auto.commit": False,
              "enable.partition.eof": True, "fetch.queue.backoff.ms": 10})
parts = c.list_topics(topic, timeout=10).topics[topic].partitions
ends = {}
tps = []
for p in parts:
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
    if hi > lo:
        ends[p] = hi
        tps.append(TopicPartition(topic, p, lo))
c.assign(tps)
d = AvroDeserializer(SchemaRegistryClient({"url": registry}))
ctx = SerializationContext(topic, MessageField.VALUE)
out = sys.stdout
dumps = json.dumps
n = 0
while ends:
    for m in c.consume(num_messages=1000, timeout=1.0):
        if m.error():
            if m.error().code() == -191:  # partition EOF
                ends.pop(m.partition(), None)
            continue
        out.write(dumps(d(m.value(), ctx), default=str))
        out.write("\n")
        n += 1
        if m.offset() + 1 >= ends.get(m.partition(), 0):
            ends.pop(m.partition(), None)
c.close()
print("read %d" % n, file=sys.stderr)
