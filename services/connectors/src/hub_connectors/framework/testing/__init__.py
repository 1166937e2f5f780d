"""Test support shared by every connector: injected time, the fake vendor server, the contract suite."""
