"""Reads PE Stream output topics written in the schema-registry wire format with confluent-kafka's
own AvroDeserializer and SchemaRegistryClient, and prints one JSON object per record:

    {"topic": "...", "partition": 0, "offset": 12, "value": {...the record as a dict...}}

Usage: python read_topics.py --bootstrap HOST:PORT --registry URL TOPIC [TOPIC...]

Reads each topic from the beginning up to its end (isolation.level=read_committed, so records of
open or aborted transactions are never shown) and exits. Timestamps print as ISO strings.
"""
import argparse
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext


def read_topic(bootstrap, deserializer, topic, timeout_s):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "pestream-reader-" + uuid.uuid4().hex,
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
    })
    try:
        metadata = consumer.list_topics(topic, timeout=timeout_s)
        partitions = sorted(metadata.topics[topic].partitions)
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        deadline = time.monotonic() + timeout_s
        # transaction markers take offsets too: done when each partition's position reaches its end
        while any(ends[position.partition] > 0 and position.offset < ends[position.partition]
                  for position in consumer.position([TopicPartition(topic, p) for p in partitions])):
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out reading {topic} to its end offsets {ends}")
            message = consumer.poll(0.2)
            if message is None:
                continue
            if message.error():
                raise SystemExit(f"error reading {topic}: {message.error()}")
            value = deserializer(message.value(), SerializationContext(topic, MessageField.VALUE))
            print(json.dumps({"topic": topic, "partition": message.partition(), "offset": message.offset(),
                              "value": value}, default=str))
    finally:
        consumer.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--registry", required=True, help="schema registry URL")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to read each topic to its end")
    parser.add_argument("topics", nargs="+")
    args = parser.parse_args()
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": args.registry}))
    for topic in args.topics:
        read_topic(args.bootstrap, deserializer, topic, args.timeout)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
