"""Where the loss comes from: the variational bound, prediction targets as weightings, where training spends it."""
