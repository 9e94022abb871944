"""Provisioning a kept table that lacks the list indexes the template now declares (DynamoDB Local)."""

from __future__ import annotations

import uuid
from typing import Any

from harness.tables import create_table
from local.provision import _add_missing_indexes


def test_a_kept_data_table_gains_the_indexes_it_lacks(ddb_local_client: Any) -> None:
    old = f"old-data-{uuid.uuid4().hex[:8]}"
    new = f"new-data-{uuid.uuid4().hex[:8]}"
    create_table(ddb_local_client, old, stream=True)  # as an older template made it
    create_table(ddb_local_client, new, stream=True, list_indexes=True)  # as the template declares it now
    try:
        declared = ddb_local_client.describe_table(TableName=new)["Table"]
        spec = {
            "AttributeDefinitions": declared["AttributeDefinitions"],
            "GlobalSecondaryIndexes": [
                {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
                for index in declared["GlobalSecondaryIndexes"]
            ],
        }
        before = ddb_local_client.describe_table(TableName=old)["Table"]
        assert "GlobalSecondaryIndexes" not in before

        _add_missing_indexes(ddb_local_client, old, spec, before)

        after = ddb_local_client.describe_table(TableName=old)["Table"]
        assert sorted(index["IndexName"] for index in after["GlobalSecondaryIndexes"]) == ["gsi1", "gsi2", "gsi3"]
        # Asking again changes nothing.
        assert _add_missing_indexes(ddb_local_client, old, spec, after) is after
    finally:
        for name in (old, new):
            ddb_local_client.delete_table(TableName=name)
