package models

import (
	"context"

	"gorm.io/gorm/clause"
)

// Setting is a server-wide value kept in the database, such as the secret
// generated on first start.
type Setting struct {
	Key   string `gorm:"primaryKey"`
	Value string
}

// SettingOrCreate returns the stored value of key, storing value first when
// the key is absent. Concurrent first starts all get the same winner.
func (s *Store) SettingOrCreate(ctx context.Context, key, value string) (string, error) {
	err := s.with(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&Setting{Key: key, Value: value}).Error
	if err != nil {
		return "", translate(err)
	}
	var got Setting
	if err := s.with(ctx).Where("key = ?", key).Take(&got).Error; err != nil {
		return "", translate(err)
	}
	return got.Value, nil
}
