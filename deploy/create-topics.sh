#!/usr/bin/env bash
# Creates PE Stream's Kafka topics. Idempotent: a topic that exists is left as it is.
#
#   deploy/create-topics.sh BOOTSTRAP_SERVERS
#
# Environment:
#   KAFKA_TOPICS        the kafka-topics command (default: kafka-topics.sh from a Kafka distribution)
#   REPLICATION_FACTOR  default 3 (min.insync.replicas becomes 2 from 3 replicas on, else 1)
#   PARTITIONS          partitions of the data topics, default 12 (keyed by stream id: the most
#                       TaskManager slots that can share one topic's streams)
#   COMMAND_CONFIG      client properties file for TLS / SASL, passed as --command-config
set -euo pipefail

bootstrap="${1:?usage: create-topics.sh BOOTSTRAP_SERVERS}"
read -r -a kafka_topics <<< "${KAFKA_TOPICS:-kafka-topics.sh}"
replication="${REPLICATION_FACTOR:-3}"
partitions="${PARTITIONS:-12}"
min_isr=$(( replication >= 3 ? 2 : 1 ))
client=()
if [[ -n "${COMMAND_CONFIG:-}" ]]; then
  client=(--command-config "$COMMAND_CONFIG")
fi

day_ms=86400000

# create NAME PARTITIONS [CONFIG=VALUE ...]
create() {
  local name=$1 count=$2
  shift 2
  local configs=(--config "min.insync.replicas=${min_isr}")
  local config
  for config in "$@"; do
    configs+=(--config "$config")
  done
  "${kafka_topics[@]}" --bootstrap-server "$bootstrap" ${client[@]+"${client[@]}"} --create --if-not-exists \
    --topic "$name" --partitions "$count" --replication-factor "$replication" "${configs[@]}"
  echo "topic ${name}: ok"
}

# Input: media chunks, up to 2 MiB each (larger media goes through a claim check). Kept a day so
# the job can be replayed from earlier offsets after an outage.
create media.chunks "$partitions" retention.ms=$(( 1 * day_ms )) max.message.bytes=2097152

# Outputs of the perception job (written exactly once, read with isolation.level=read_committed).
create embeddings "$partitions" retention.ms=$(( 7 * day_ms ))
create spans "$partitions" retention.ms=$(( 7 * day_ms ))
create alerts "$partitions" retention.ms=$(( 30 * day_ms ))
create tags "$partitions" retention.ms=$(( 7 * day_ms ))
create captions "$partitions" retention.ms=$(( 7 * day_ms ))

# Everything the job could not process, with the reason; kept long enough to investigate.
create dead-letters 3 retention.ms=$(( 14 * day_ms )) max.message.bytes=2097152

# Control topics: compacted (the latest record per rule / vocabulary id, kept forever; a null
# value deletes the key after delete.retention.ms). One partition each: one total order of changes.
create control.alert-rules 1 cleanup.policy=compact retention.ms=-1 min.cleanable.dirty.ratio=0.1 \
  delete.retention.ms=$(( 1 * day_ms ))
create control.tag-vocabularies 1 cleanup.policy=compact retention.ms=-1 min.cleanable.dirty.ratio=0.1 \
  delete.retention.ms=$(( 1 * day_ms ))
