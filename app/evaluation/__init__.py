"""How good is a model: accuracy, the confusion matrix and every mistake on its test set."""
