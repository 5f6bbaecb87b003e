"""Layer 2, stimulus features: spectrograms, MFCC-model features and label codes per TR."""
