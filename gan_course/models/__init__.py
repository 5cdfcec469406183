"""Model families: for each, a frozen config of model hyperparameters, the builders, the
train step, and the setup the registry calls. Shared layers: `packing`, `augment`."""
